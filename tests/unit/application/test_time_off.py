"""Time off with fakes of the ports: booked sessions are never cancelled silently."""

from datetime import UTC, date, datetime, timedelta

import pytest
from application_fakes import FakeDatabase, Published
from practice_world import ADMIN, Practice, practice

from application.practice_commands import AddTimeOff, RemoveTimeOff, TimeOffDates, TimeOffInstants
from application.unit_of_work import Transactions
from builders import NOW, a_patient, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from domain.viewer import Role, Viewer


@pytest.fixture
def world(database: FakeDatabase, transactions: Transactions) -> Practice:
    return practice(database, transactions)


def booked(world: Practice, at: datetime, status: AppointmentStatus) -> Appointment:
    patient = a_patient()
    world.database.tables.patients[patient.id] = patient
    appointment = an_appointment(
        world.psychologist, patient, scheduled_at=at, status=status, version=2
    )
    world.database.tables.appointments[appointment.id] = appointment
    return appointment


def days(first: date, last: date) -> TimeOffDates:
    return TimeOffDates(first, last)


async def test_whole_days_are_blocked_from_local_midnight_to_local_midnight(
    world: Practice, published: Published
) -> None:
    answer = await world.cases.add_time_off(
        AddTimeOff(
            world.own,
            "req-1",
            world.psychologist.id,
            days(date(2030, 2, 4), date(2030, 2, 5)),
            "Congress",
        )
    )

    assert answer.problems == ()
    assert answer.time_off is not None
    assert answer.time_off.all_day
    # Midnight in São Paulo (UTC-3).
    assert answer.time_off.period.start == datetime(2030, 2, 4, 3, 0, tzinfo=UTC)
    assert answer.time_off.period.length == timedelta(days=2)
    [entry] = world.database.tables.audit
    assert (entry.action, entry.details["reason"]) == ("time_off.added", "Congress")
    assert len(published.schedules) == 1


async def test_sessions_in_the_period_are_listed_and_nothing_is_kept(
    world: Practice, published: Published
) -> None:
    confirmed = booked(world, NOW + timedelta(days=3), AppointmentStatus.CONFIRMED)
    pending = booked(world, NOW + timedelta(days=3, hours=2), AppointmentStatus.PENDING)
    booked(world, NOW + timedelta(days=9), AppointmentStatus.CONFIRMED)  # outside
    period = TimeOffInstants(NOW + timedelta(days=2), NOW + timedelta(days=4))

    answer = await world.cases.add_time_off(
        AddTimeOff(ADMIN, "req-1", world.psychologist.id, period, "Sick")
    )

    assert answer.time_off is None
    assert [p.code for p in answer.problems] == ["TIME_OFF_CONFLICTS"]
    assert [a.id for a in answer.conflicts] == [confirmed.id, pending.id]
    assert answer.cancelled == ()
    assert world.database.tables.time_off == {}
    assert world.database.tables.appointments[confirmed.id].status is AppointmentStatus.CONFIRMED
    assert world.database.tables.audit == []
    assert published.changes == []
    assert published.schedules == []


async def test_asked_to_cancel_them_each_is_cancelled_as_cancel_appointment_would(
    world: Practice, published: Published
) -> None:
    confirmed = booked(world, NOW + timedelta(days=3), AppointmentStatus.CONFIRMED)
    period = TimeOffInstants(NOW + timedelta(days=2), NOW + timedelta(days=4))

    answer = await world.cases.add_time_off(
        AddTimeOff(
            world.own,
            "req-7",
            world.psychologist.id,
            period,
            "Sick",
            cancel_conflicts=True,
            cancellation_reason="The psychologist is ill.",
        )
    )

    assert answer.problems == ()
    [cancelled] = answer.cancelled
    assert (cancelled.id, cancelled.status, cancelled.cancellation_reason) == (
        confirmed.id,
        AppointmentStatus.CANCELLED,
        "The psychologist is ill.",
    )
    [change] = published.changes
    assert (change.event.status, change.event.request_id) == (AppointmentStatus.CANCELLED, "req-7")
    assert world.database.tables.audit[0].details["cancelled"] == [str(confirmed.id)]
    assert world.database.tables.time_off[world.psychologist.id] == [answer.time_off]


async def test_a_session_already_started_cannot_be_cancelled_and_nothing_is_kept(
    world: Practice,
) -> None:
    started = booked(world, NOW - timedelta(minutes=30), AppointmentStatus.CONFIRMED)
    period = TimeOffInstants(NOW - timedelta(hours=1), NOW + timedelta(hours=5))

    answer = await world.cases.add_time_off(
        AddTimeOff(ADMIN, "r", world.psychologist.id, period, cancel_conflicts=True)
    )

    assert [p.code for p in answer.problems] == ["INVALID_STATE"]
    assert world.database.tables.appointments[started.id].status is AppointmentStatus.CONFIRMED
    assert world.database.tables.time_off == {}


async def test_a_period_backwards_or_over_a_year_is_refused(world: Practice) -> None:
    backwards = TimeOffInstants(NOW + timedelta(days=2), NOW + timedelta(days=1))
    too_long = days(date(2030, 2, 1), date(2031, 3, 1))

    answers = [
        await world.cases.add_time_off(AddTimeOff(ADMIN, "r", world.psychologist.id, period))
        for period in (backwards, too_long)
    ]

    assert [[(p.code, p.path) for p in a.problems] for a in answers] == [
        [("INVALID_INPUT", ("period",))]
    ] * 2


async def test_only_the_psychologist_or_an_admin_adds_or_removes_time_off(world: Practice) -> None:
    other = world.another_psychologist()
    period = days(date(2030, 2, 4), date(2030, 2, 4))
    added = await world.cases.add_time_off(AddTimeOff(ADMIN, "r", other.id, period))
    assert added.time_off is not None
    patient = Viewer("patient-1", Role.PATIENT)

    refused = [
        await world.cases.add_time_off(AddTimeOff(world.own, "r", other.id, period)),
        await world.cases.add_time_off(AddTimeOff(patient, "r", other.id, period)),
    ]
    not_removed = await world.cases.remove_time_off(
        RemoveTimeOff(world.own, "r", other.id, added.time_off.id)
    )
    removed = await world.cases.remove_time_off(
        RemoveTimeOff(ADMIN, "r", other.id, added.time_off.id)
    )

    assert [[p.code for p in a.problems] for a in refused] == [["FORBIDDEN"], ["FORBIDDEN"]]
    assert [p.code for p in not_removed.problems] == ["FORBIDDEN"]
    assert removed.value == added.time_off
    assert world.database.tables.time_off[other.id] == []
