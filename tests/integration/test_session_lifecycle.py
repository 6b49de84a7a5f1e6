"""The life of a session on PostgreSQL with SQS, and on the embedded SQLite with the
in-process queue: through the use cases, the outbox, the queue and the worker."""

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from lifecycle_harness import ADMIN, MEETINGS, Harness, at, harness

from application.commands import CancelAppointment, RequestAppointments
from application.lifecycle_commands import (
    AnswerRequest,
    CancelSeries,
    MarkOutcome,
    RecordPayment,
    RequestSeries,
    RescheduleAppointment,
    SetSessionPolicy,
)
from domain.appointments import (
    ActorRole,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    EventKind,
    MeetingType,
    RejectionReason,
)
from domain.payments import PaymentKind, PaymentMethod
from domain.people import Psychologist
from domain.requests import AppointmentRequest
from domain.series import Frequency
from domain.viewer import Role, Viewer
from infra.db.appointment_reads import SqlAppointmentReads


@pytest.fixture(params=["postgresql", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(request, tmp_path) as made:
        yield made


def staff_of(doctor: Psychologist) -> Viewer:
    return Viewer(str(doctor.subject), Role.PSYCHOLOGIST)


async def requested(
    world: Harness,
    viewer: Viewer,
    doctor: Psychologist,
    start: object,
    meeting: MeetingType = MeetingType.VIDEO_CALL,
) -> Appointment:
    asked = AppointmentRequest(
        psychologist_id=doctor.id,
        scheduled_at=start,  # type: ignore[arg-type]
        appointment_type=AppointmentType.THERAPY_SESSION,
        meeting_type=meeting,
    )
    [outcome] = await world.cases.request_appointments(
        RequestAppointments(viewer, [asked], "req-ask")
    )
    assert outcome.appointment is not None, outcome.problems
    return outcome.appointment


async def refused(world: Harness, viewer: Viewer, doctor: Psychologist, start: object) -> list[str]:
    asked = AppointmentRequest(
        psychologist_id=doctor.id,
        scheduled_at=start,  # type: ignore[arg-type]
        appointment_type=AppointmentType.THERAPY_SESSION,
        meeting_type=MeetingType.VIDEO_CALL,
    )
    [outcome] = await world.cases.request_appointments(RequestAppointments(viewer, [asked], "r"))
    return [p.code for p in outcome.problems]


async def current(world: Harness, appointment: Appointment) -> Appointment:
    found = await SqlAppointmentReads(world.engine).by_ids(ADMIN, [appointment.id])
    return found[appointment.id]


async def history(world: Harness, appointment: Appointment) -> list[object]:
    return (await SqlAppointmentReads(world.engine).histories([appointment.id]))[appointment.id]


async def policy(world: Harness, doctor: Psychologist, **fields: object) -> None:
    values: dict[str, object] = {
        "requires_confirmation": False,
        "confirmation_timeout_minutes": 1440,
        "cancellation_window_minutes": 0,
        "late_cancellation_fee": None,
        **fields,
    }
    answer = await world.cases.set_session_policy(
        SetSessionPolicy(viewer=ADMIN, psychologist_id=doctor.id, request_id="req-p", **values)  # type: ignore[arg-type]
    )
    assert answer.problems == ()


async def test_a_confirmed_video_call_gets_an_unguessable_link_and_an_in_person_one_none(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    video = await requested(world, patient, doctor, at(3, 10))
    visit = await requested(world, patient, doctor, at(3, 14), MeetingType.IN_PERSON)

    await world.work()

    confirmed = await current(world, video)
    assert confirmed.status is AppointmentStatus.CONFIRMED
    assert confirmed.meeting_url is not None
    assert confirmed.meeting_url.startswith(f"{MEETINGS}/session-")
    assert len(confirmed.meeting_url.rsplit("-", 1)[1]) == 32
    assert (await current(world, visit)).meeting_url is None
    [opening, decision] = await history(world, video)
    assert opening.actor.role is ActorRole.PATIENT  # type: ignore[attr-defined]
    assert decision.actor.role is ActorRole.SYSTEM  # type: ignore[attr-defined]


async def test_a_session_is_marked_only_after_its_start_only_by_staff_and_only_once(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    session = await requested(world, patient, doctor, at(3, 10))
    await world.work()
    staff = staff_of(doctor)

    early = await world.cases.mark_outcome(
        MarkOutcome(staff, session.id, AppointmentStatus.COMPLETED, None, "req-1")
    )
    world.clock.now = at(3, 10, 5)
    by_patient = await world.cases.mark_outcome(
        MarkOutcome(patient, session.id, AppointmentStatus.NO_SHOW, None, "req-2")
    )
    done = await world.cases.mark_outcome(
        MarkOutcome(staff, session.id, AppointmentStatus.NO_SHOW, "no word from them", "req-3")
    )
    twice = await world.cases.mark_outcome(
        MarkOutcome(ADMIN, session.id, AppointmentStatus.COMPLETED, None, "req-4")
    )

    assert [p.code for p in early.problems] == ["NOT_STARTED"]
    assert [p.code for p in by_patient.problems] == ["FORBIDDEN"]
    assert done.appointment is not None
    assert done.appointment.status is AppointmentStatus.NO_SHOW
    assert done.appointment.status_note == "no word from them"
    assert [p.code for p in twice.problems] == ["INVALID_STATE"]
    last = (await history(world, session))[-1]
    assert (last.status, last.actor.subject, last.request_id, last.note) == (  # type: ignore[attr-defined]
        AppointmentStatus.NO_SHOW,
        doctor.subject,
        "req-3",
        "no word from them",
    )


async def test_a_patients_cancellation_inside_the_window_is_late_and_its_fee_is_payable(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    await policy(
        world, doctor, cancellation_window_minutes=24 * 60, late_cancellation_fee=Decimal("40.00")
    )
    late = await requested(world, patient, doctor, at(3, 10))
    by_staff = await requested(world, patient, doctor, at(3, 14))
    early = await requested(world, patient, doctor, at(6, 10))
    await world.work()
    world.clock.now = at(2, 12)  # 22 hours before the first two

    cancelled = await world.cases.cancel_appointment(
        CancelAppointment(patient, late.id, "ill", "req-c1")
    )
    staff = await world.cases.cancel_appointment(
        CancelAppointment(staff_of(doctor), by_staff.id, None, "req-c2")
    )
    in_time = await world.cases.cancel_appointment(
        CancelAppointment(patient, early.id, None, "req-c3")
    )

    assert cancelled.appointment is not None
    assert staff.appointment is not None
    assert in_time.appointment is not None
    assert (cancelled.appointment.late_cancellation, cancelled.appointment.cancellation_fee) == (
        True,
        Decimal("40.00"),
    )
    assert cancelled.appointment.amount_due == Decimal("40.00")
    assert not staff.appointment.late_cancellation
    assert not in_time.appointment.late_cancellation
    assert in_time.appointment.amount_due == 0
    paid = await world.cases.record_payment(
        RecordPayment(
            ADMIN, late.id, PaymentKind.PAYMENT, Decimal("40.00"), PaymentMethod.CARD, "r-1", "p"
        )
    )
    assert paid.appointment is not None
    assert paid.appointment.is_paid
    nothing_due = await world.cases.record_payment(
        RecordPayment(
            ADMIN, early.id, PaymentKind.PAYMENT, Decimal("1.00"), PaymentMethod.CASH, "r-2", "p"
        )
    )
    assert [p.code for p in nothing_due.problems] == ["INVALID_STATE"]


async def test_a_psychologist_who_confirms_holds_the_time_and_then_confirms_or_declines(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    _, _, other = await world.people()
    await policy(world, doctor, requires_confirmation=True, confirmation_timeout_minutes=120)
    first = await requested(world, patient, doctor, at(3, 10))
    second = await requested(world, patient, doctor, at(4, 10))
    await world.work()
    held = await current(world, first)
    # Another patient's request for the held time is refused as if it were confirmed.
    rival = await refused(world, other, doctor, at(3, 10, 30))

    confirmed = await world.cases.answer_request(
        AnswerRequest(staff_of(doctor), first.id, True, None, "req-yes")
    )
    declined = await world.cases.answer_request(
        AnswerRequest(ADMIN, second.id, False, "on leave that week", "req-no")
    )
    by_patient = await world.cases.answer_request(
        AnswerRequest(patient, second.id, True, None, "req-p")
    )
    again = await world.cases.answer_request(
        AnswerRequest(ADMIN, first.id, True, None, "req-again")
    )

    assert held.status is AppointmentStatus.PENDING
    assert held.awaiting_confirmation_until == at(0, 14)
    assert rival == ["SLOT_TAKEN"]
    assert confirmed.appointment is not None
    assert confirmed.appointment.status is AppointmentStatus.CONFIRMED
    assert confirmed.appointment.meeting_url is not None
    assert declined.appointment is not None
    assert declined.appointment.rejection_reason is RejectionReason.DECLINED_BY_PSYCHOLOGIST
    assert declined.appointment.status_note == "on leave that week"
    assert [p.code for p in by_patient.problems] == ["FORBIDDEN"]
    assert [p.code for p in again.problems] == ["INVALID_STATE"]
    kinds = [event.kind for event in await history(world, first)]  # type: ignore[attr-defined]
    assert kinds == [
        EventKind.STATUS_CHANGED,
        EventKind.AWAITING_CONFIRMATION,
        EventKind.STATUS_CHANGED,
    ]


async def test_an_unanswered_request_expires_with_its_own_reason_when_due(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    await policy(world, doctor, requires_confirmation=True, confirmation_timeout_minutes=60)
    asked = await requested(world, patient, doctor, at(3, 10))
    await world.work()

    world.clock.now = at(0, 12, 59)
    assert await world.work() == []
    world.clock.now = at(0, 13)
    changes = await world.work()

    assert [(c.appointment.id, c.appointment.rejection_reason) for c in changes] == [
        (asked.id, RejectionReason.CONFIRMATION_EXPIRED)
    ]
    late = await world.cases.answer_request(AnswerRequest(ADMIN, asked.id, True, None, "req-late"))
    assert [p.code for p in late.problems] == ["INVALID_STATE"]


async def test_a_new_time_holds_the_old_one_until_confirmed_then_moves_the_appointment(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    _, _, other = await world.people()
    session = await requested(world, patient, doctor, at(3, 10))
    await world.work()
    confirmed = await current(world, session)

    asked = await world.cases.reschedule(
        RescheduleAppointment(patient, session.id, at(4, 15), "req-move")
    )
    assert asked.appointment is not None
    assert asked.appointment.reschedule_to == at(4, 15)
    assert asked.appointment.scheduled_at == at(3, 10)
    # Before the worker decides, the old time is still the patient's.
    rival = await refused(world, other, doctor, at(3, 10))
    changes = await world.work()

    moved = await current(world, session)
    assert (moved.status, moved.scheduled_at, moved.reschedule_to) == (
        AppointmentStatus.CONFIRMED,
        at(4, 15),
        None,
    )
    assert moved.version == confirmed.version + 2
    assert moved.meeting_url == confirmed.meeting_url
    assert rival == ["SLOT_TAKEN"]
    step = (await history(world, session))[-1]
    assert (step.kind, step.previous_scheduled_at, step.scheduled_at) == (  # type: ignore[attr-defined]
        EventKind.RESCHEDULED,
        at(3, 10),
        at(4, 15),
    )
    assert session.id in {c.appointment.id for c in changes}


async def test_a_new_time_that_is_taken_is_refused_and_nothing_else_changes(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    _, _, other = await world.people()
    session = await requested(world, patient, doctor, at(3, 10))
    taken = await requested(world, other, doctor, at(4, 10))
    await world.work()
    before = await current(world, session)

    await world.cases.reschedule(RescheduleAppointment(ADMIN, session.id, at(4, 10, 30), "req"))
    await world.work()

    after = await current(world, session)
    assert (after.scheduled_at, after.status, after.reschedule_to) == (
        before.scheduled_at,
        AppointmentStatus.CONFIRMED,
        None,
    )
    step = (await history(world, session))[-1]
    assert (step.kind, step.reason) == (EventKind.RESCHEDULE_REJECTED, "SLOT_TAKEN")  # type: ignore[attr-defined]
    assert (await current(world, taken)).scheduled_at == at(4, 10)


async def test_who_may_ask_for_a_new_time_and_which_times(world: Harness) -> None:
    doctor, _, patient = await world.people()
    await policy(world, doctor, cancellation_window_minutes=48 * 60)
    session = await requested(world, patient, doctor, at(3, 10))
    await world.work()

    by_psychologist = await world.cases.reschedule(
        RescheduleAppointment(staff_of(doctor), session.id, at(5, 10), "r1")
    )
    too_soon = await world.cases.reschedule(
        RescheduleAppointment(patient, session.id, at(0, 18), "r2")
    )
    world.clock.now = at(1, 12)  # inside the 48-hour window of the session
    late = await world.cases.reschedule(RescheduleAppointment(patient, session.id, at(5, 10), "r3"))
    by_admin = await world.cases.reschedule(
        RescheduleAppointment(ADMIN, session.id, at(5, 10), "r4")
    )
    pending = await world.cases.reschedule(
        RescheduleAppointment(ADMIN, session.id, at(6, 10), "r5")
    )

    assert [p.code for p in by_psychologist.problems] == ["FORBIDDEN"]
    assert [(p.code, p.path) for p in too_soon.problems] == [("TOO_SOON", ("scheduledAt",))]
    assert [(p.code, p.path) for p in late.problems] == [("TOO_SOON", ("appointmentId",))]
    assert by_admin.appointment is not None
    assert [p.code for p in pending.problems] == ["INVALID_STATE"]


async def test_a_weekly_series_is_decided_session_by_session_and_cancelled_from_one_on(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    template = AppointmentRequest(
        psychologist_id=doctor.id,
        scheduled_at=at(3, 10),
        appointment_type=AppointmentType.THERAPY_SESSION,
        meeting_type=MeetingType.VIDEO_CALL,
        idempotency_key="my-series",
    )
    made = await world.cases.request_series(
        RequestSeries(patient, template, 10, Frequency.WEEKLY, "req-series")
    )
    again = await world.cases.request_series(
        RequestSeries(patient, template, 10, Frequency.WEEKLY, "req-series-2")
    )
    changes = await world.work()
    assert made.series is not None
    assert again.series is not None
    assert again.series.id == made.series.id
    starts = [o.appointment.scheduled_at for o in made.occurrences if o.appointment]
    assert starts == [at(3 + 7 * week, 10) for week in range(10)]
    assert sorted(c.appointment.series_index or 0 for c in changes) == list(range(10))
    assert {c.appointment.status for c in changes} == {AppointmentStatus.CONFIRMED}

    sixth = made.occurrences[6].appointment
    assert sixth is not None
    cancelled = await world.cases.cancel_series(
        CancelSeries(patient, made.series.id, sixth.id, "moving away", "req-stop")
    )
    repeated = await world.cases.cancel_series(
        CancelSeries(patient, made.series.id, sixth.id, "moving away", "req-stop-2")
    )
    by_stranger = await world.cases.cancel_series(
        CancelSeries(Viewer("someone-else", Role.PATIENT), made.series.id, None, None, "r")
    )

    assert sorted(a.series_index or 0 for a in cancelled.cancelled) == [6, 7, 8, 9]
    assert repeated.cancelled == ()
    assert repeated.problems == ()
    assert [p.code for p in by_stranger.problems] == ["NOT_FOUND"]


async def test_a_series_too_long_or_asked_by_a_psychologist_is_refused(world: Harness) -> None:
    doctor, _, patient = await world.people()
    template = AppointmentRequest(
        psychologist_id=doctor.id,
        scheduled_at=at(3, 10),
        appointment_type=AppointmentType.THERAPY_SESSION,
        meeting_type=MeetingType.VIDEO_CALL,
    )

    too_long = await world.cases.request_series(
        RequestSeries(patient, template, 27, Frequency.BIWEEKLY, "r1")
    )
    by_staff = await world.cases.request_series(
        RequestSeries(staff_of(doctor), template, 4, Frequency.BIWEEKLY, "r2")
    )
    biweekly = await world.cases.request_series(
        RequestSeries(patient, template, 3, Frequency.BIWEEKLY, "r3")
    )

    assert [p.code for p in too_long.problems] == ["INVALID_INPUT"]
    assert [p.code for p in by_staff.problems] == ["FORBIDDEN"]
    assert [o.appointment.scheduled_at for o in biweekly.occurrences if o.appointment] == [
        at(3, 10),
        at(17, 10),
        at(31, 10),
    ]


async def test_payments_and_refunds_make_is_paid_follow_and_a_reference_is_recorded_once(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    session = await requested(world, patient, doctor, at(3, 10))
    await world.work()

    def pay(amount: str, reference: str, kind: PaymentKind = PaymentKind.PAYMENT) -> RecordPayment:
        return RecordPayment(
            staff_of(doctor), session.id, kind, Decimal(amount), PaymentMethod.CARD, reference, "r"
        )

    half = await world.cases.record_payment(pay("75.00", "t-1"))
    rest = await world.cases.record_payment(pay("75.00", "t-2"))
    replayed = await world.cases.record_payment(pay("75.00", "t-2"))
    reused = await world.cases.record_payment(pay("10.00", "t-2"))
    refund = await world.cases.record_payment(pay("20.00", "t-3", PaymentKind.REFUND))
    by_patient = await world.cases.record_payment(
        RecordPayment(
            patient, session.id, PaymentKind.PAYMENT, Decimal(1), PaymentMethod.CASH, "x", "r"
        )
    )
    bad = await world.cases.record_payment(pay("0.001", "t-4"))

    assert half.appointment is not None
    assert not half.appointment.is_paid
    assert rest.appointment is not None
    assert rest.appointment.is_paid
    assert replayed.payment == rest.payment
    assert (await current(world, session)).amount_paid == Decimal("130.00")
    assert [p.code for p in reused.problems] == ["IDEMPOTENCY_KEY_REUSED"]
    assert refund.appointment is not None
    assert not refund.appointment.is_paid
    assert [p.code for p in by_patient.problems] == ["FORBIDDEN"]
    assert [(p.code, p.path) for p in bad.problems] == [("INVALID_INPUT", ("amount",))]
    kinds = [e.kind for e in await history(world, session)][-3:]  # type: ignore[attr-defined]
    assert kinds == [
        EventKind.PAYMENT_RECORDED,
        EventKind.PAYMENT_RECORDED,
        EventKind.REFUND_RECORDED,
    ]


async def test_a_patient_cancelling_a_session_whose_time_is_moving_drops_the_new_time(
    world: Harness,
) -> None:
    doctor, _, patient = await world.people()
    session = await requested(world, patient, doctor, at(3, 10))
    await world.work()
    await world.cases.reschedule(RescheduleAppointment(patient, session.id, at(5, 10), "r"))

    cancelled = await world.cases.cancel_appointment(
        CancelAppointment(patient, session.id, None, "req-cancel")
    )
    changes = await world.work()

    assert cancelled.appointment is not None
    assert cancelled.appointment.reschedule_to is None
    assert changes == []
    final = await current(world, session)
    assert (final.status, final.scheduled_at) == (AppointmentStatus.CANCELLED, at(3, 10))
