"""A session's life through the GraphQL API on PostgreSQL: who may do each step, and the
userErrors (code and field path) of every refusal."""

from datetime import datetime, timedelta
from typing import Any

from practice_api import user_errors

from domain.appointments import AppointmentStatus
from domain.people import Patient, Psychologist
from graphql_client import APP_NOW, Api
from world import node_id

ADMIN = ("admin", "admin-1")
MARK = """
mutation($input: AppointmentNoteInput!) {
  completeAppointment(input: $input) {
    appointment { status statusNote version history { status kind actor { role subject } } }
    userErrors { code field message }
  }
}"""
NO_SHOW = """
mutation($input: AppointmentNoteInput!) {
  markNoShow(input: $input) { appointment { status } userErrors { code field } }
}"""
CONFIRM = """
mutation($input: ConfirmAppointmentInput!) {
  confirmAppointment(input: $input) {
    appointment { status meetingUrl awaitingConfirmationUntil } userErrors { code field }
  }
}"""
DECLINE = """
mutation($input: DeclineAppointmentInput!) {
  declineAppointment(input: $input) {
    appointment { status rejectionReason statusNote } userErrors { code field }
  }
}"""
RESCHEDULE = """
mutation($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) {
    appointment { scheduledAt rescheduleTo } requestId userErrors { code field }
  }
}"""
POLICY = """
mutation($input: SetSessionPolicyInput!) {
  setSessionPolicy(input: $input) {
    sessionPolicy { requiresConfirmation confirmationTimeoutMinutes cancellationWindowMinutes
                    lateCancellationFee }
    userErrors { code field }
  }
}"""
SERIES = """
mutation($input: RequestAppointmentSeriesInput!) {
  requestAppointmentSeries(input: $input) {
    series { id frequency occurrenceCount occurrences { id scheduledAt seriesIndex status } }
    results { index appointment { id } userErrors { code field } }
    userErrors { code field }
  }
}"""
CANCEL_SERIES = """
mutation($input: CancelAppointmentSeriesInput!) {
  cancelAppointmentSeries(input: $input) {
    series { id } cancelled { seriesIndex status } userErrors { code field }
  }
}"""
PAY = """
mutation($input: RecordPaymentInput!) {
  recordPayment(input: $input) {
    payment { kind amount method reference recordedBy { role subject } }
    appointment { isPaid amountPaid amountDue }
    userErrors { code field }
  }
}"""
CANCEL = """
mutation($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) {
    appointment { status lateCancellation cancellationFee amountDue } userErrors { code field }
  }
}"""


def at(days: int, hour: int) -> datetime:
    return (APP_NOW + timedelta(days=days)).replace(hour=hour, minute=0)


async def people(api: Api) -> tuple[Psychologist, Patient, Patient]:
    doctor = await api.world.psychologist(time_zone="UTC", default_duration_minutes=60)
    return doctor, await api.world.patient(), await api.world.patient()


def as_(person: Psychologist | Patient) -> tuple[str, str]:
    role = "psychologist" if isinstance(person, Psychologist) else "patient"
    return role, str(person.subject)


def payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][field]
    return found


async def test_only_the_psychologist_or_an_admin_marks_a_started_session_and_only_once(
    api: Api,
) -> None:
    doctor, patient, _ = await people(api)
    other = await api.world.psychologist(time_zone="UTC")
    started = await api.world.appointment(
        doctor,
        patient,
        status=AppointmentStatus.CONFIRMED,
        starts_at=api.now - timedelta(minutes=5),
    )
    future = await api.world.appointment(
        doctor, patient, status=AppointmentStatus.CONFIRMED, starts_at=at(2, 10)
    )
    ident = node_id(started)

    refusals = [
        user_errors(
            await api.query(MARK, as_=as_(patient), input={"appointmentId": ident}),
            "completeAppointment",
        ),
        user_errors(
            await api.query(MARK, as_=as_(other), input={"appointmentId": ident}),
            "completeAppointment",
        ),
        user_errors(
            await api.query(MARK, as_=as_(doctor), input={"appointmentId": node_id(future)}),
            "completeAppointment",
        ),
        user_errors(
            await api.query(MARK, as_=as_(doctor), input={"appointmentId": "nope"}),
            "completeAppointment",
        ),
        user_errors(
            await api.query(
                MARK, as_=as_(doctor), input={"appointmentId": ident, "note": "x" * 2001}
            ),
            "completeAppointment",
        ),
    ]
    done = payload(
        await api.query(MARK, as_=as_(doctor), input={"appointmentId": ident, "note": "went well"}),
        "completeAppointment",
    )
    again = await api.query(NO_SHOW, as_=ADMIN, input={"appointmentId": ident})

    assert refusals == [
        [("FORBIDDEN", ["input"])],
        [("NOT_FOUND", ["input", "appointmentId"])],
        [("NOT_STARTED", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "note"])],
    ]
    appointment = done["appointment"]
    assert (appointment["status"], appointment["statusNote"]) == ("COMPLETED", "went well")
    assert appointment["history"][-1] == {
        "status": "COMPLETED",
        "kind": "STATUS_CHANGED",
        "actor": {"role": "PSYCHOLOGIST", "subject": doctor.subject},
    }
    assert user_errors(again, "markNoShow") == [("INVALID_STATE", ["input", "appointmentId"])]


async def test_a_held_request_is_answered_by_its_psychologist_or_an_admin(api: Api) -> None:
    doctor, patient, _ = await people(api)
    held = [
        await api.world.appointment(
            doctor,
            patient,
            starts_at=at(2 + n, 10),
            awaiting_confirmation_until=api.now + timedelta(hours=3),
        )
        for n in range(2)
    ]
    waiting = await api.world.appointment(doctor, patient, starts_at=at(5, 10))

    by_patient = await api.query(
        CONFIRM, as_=as_(patient), input={"appointmentId": node_id(held[0])}
    )
    not_held = await api.query(CONFIRM, as_=ADMIN, input={"appointmentId": node_id(waiting)})
    no_reason = await api.query(
        DECLINE, as_=as_(doctor), input={"appointmentId": node_id(held[1]), "reason": " "}
    )
    confirmed = payload(
        await api.query(CONFIRM, as_=as_(doctor), input={"appointmentId": node_id(held[0])}),
        "confirmAppointment",
    )
    declined = payload(
        await api.query(
            DECLINE, as_=ADMIN, input={"appointmentId": node_id(held[1]), "reason": "on leave"}
        ),
        "declineAppointment",
    )

    assert user_errors(by_patient, "confirmAppointment") == [("FORBIDDEN", ["input"])]
    assert user_errors(not_held, "confirmAppointment") == [
        ("INVALID_STATE", ["input", "appointmentId"])
    ]
    assert user_errors(no_reason, "declineAppointment") == [("INVALID_INPUT", ["input", "reason"])]
    assert confirmed["appointment"]["status"] == "CONFIRMED"
    assert confirmed["appointment"]["meetingUrl"].startswith("https://meet.jit.si/session-")
    assert confirmed["appointment"]["awaitingConfirmationUntil"] is None
    assert declined["appointment"] == {
        "status": "REJECTED",
        "rejectionReason": "DECLINED_BY_PSYCHOLOGIST",
        "statusNote": "on leave",
    }


async def test_a_new_time_is_asked_by_the_patient_or_an_admin_never_the_psychologist(
    api: Api,
) -> None:
    doctor, patient, stranger = await people(api)
    session = await api.world.appointment(
        doctor, patient, status=AppointmentStatus.CONFIRMED, starts_at=at(2, 10)
    )
    ident = node_id(session)
    new_time = at(3, 14).isoformat()

    by_psychologist = await api.query(
        RESCHEDULE, as_=as_(doctor), input={"appointmentId": ident, "scheduledAt": new_time}
    )
    by_stranger = await api.query(
        RESCHEDULE, as_=as_(stranger), input={"appointmentId": ident, "scheduledAt": new_time}
    )
    too_soon = await api.query(
        RESCHEDULE,
        as_=as_(patient),
        input={"appointmentId": ident, "scheduledAt": (api.now + timedelta(hours=2)).isoformat()},
    )
    off_hours = await api.query(
        RESCHEDULE,
        as_=as_(patient),
        input={"appointmentId": ident, "scheduledAt": at(3, 20).isoformat()},
    )
    asked = payload(
        await api.query(
            RESCHEDULE, as_=as_(patient), input={"appointmentId": ident, "scheduledAt": new_time}
        ),
        "rescheduleAppointment",
    )

    assert user_errors(by_psychologist, "rescheduleAppointment") == [("FORBIDDEN", ["input"])]
    assert user_errors(by_stranger, "rescheduleAppointment") == [
        ("NOT_FOUND", ["input", "appointmentId"])
    ]
    assert user_errors(too_soon, "rescheduleAppointment") == [
        ("TOO_SOON", ["input", "scheduledAt"])
    ]
    assert user_errors(off_hours, "rescheduleAppointment") == [
        ("OUTSIDE_WORKING_HOURS", ["input", "scheduledAt"])
    ]
    assert asked["userErrors"] == []
    assert datetime.fromisoformat(asked["appointment"]["rescheduleTo"]) == at(3, 14)
    assert datetime.fromisoformat(asked["appointment"]["scheduledAt"]) == at(2, 10)
    assert asked["requestId"]


async def test_a_session_policy_is_set_by_its_psychologist_or_an_admin_and_read_by_all(
    api: Api,
) -> None:
    doctor, patient, _ = await people(api)
    other = await api.world.psychologist(time_zone="UTC")
    ident = node_id(doctor)
    wanted = {
        "psychologistId": ident,
        "requiresConfirmation": True,
        "confirmationTimeoutMinutes": 120,
        "cancellationWindowMinutes": 1440,
        "lateCancellationFee": "40.00",
    }

    by_patient = await api.query(POLICY, as_=as_(patient), input=wanted)
    by_other = await api.query(POLICY, as_=as_(other), input=wanted)
    bad = await api.query(
        POLICY,
        as_=as_(doctor),
        input={
            **wanted,
            "confirmationTimeoutMinutes": 1,
            "cancellationWindowMinutes": -5,
            "lateCancellationFee": "1.234",
        },
    )
    set_ = payload(await api.query(POLICY, as_=as_(doctor), input=wanted), "setSessionPolicy")
    read = await api.query(
        "query($id: ID!) { psychologist(id: $id) { sessionPolicy { cancellationWindowMinutes "
        "lateCancellationFee requiresConfirmation } } }",
        as_=as_(patient),
        id=ident,
    )

    assert user_errors(by_patient, "setSessionPolicy") == [
        ("FORBIDDEN", ["input", "psychologistId"])
    ]
    assert user_errors(by_other, "setSessionPolicy") == [("FORBIDDEN", ["input", "psychologistId"])]
    assert sorted(user_errors(bad, "setSessionPolicy")) == [
        ("INVALID_INPUT", ["input", "cancellationWindowMinutes"]),
        ("INVALID_INPUT", ["input", "confirmationTimeoutMinutes"]),
        ("INVALID_INPUT", ["input", "lateCancellationFee"]),
    ]
    assert set_["sessionPolicy"] == {
        "requiresConfirmation": True,
        "confirmationTimeoutMinutes": 120,
        "cancellationWindowMinutes": 1440,
        "lateCancellationFee": "40.00",
    }
    assert read["data"]["psychologist"]["sessionPolicy"] == {
        "cancellationWindowMinutes": 1440,
        "lateCancellationFee": "40.00",
        "requiresConfirmation": True,
    }


async def test_a_late_cancellation_by_the_patient_costs_the_fee_and_is_paid_like_a_session(
    api: Api,
) -> None:
    doctor, patient, _ = await people(api)
    await api.query(
        POLICY,
        input={
            "psychologistId": node_id(doctor),
            "cancellationWindowMinutes": 48 * 60,
            "lateCancellationFee": "25.00",
        },
    )
    session = await api.world.appointment(
        doctor, patient, status=AppointmentStatus.CONFIRMED, starts_at=at(1, 10)
    )

    cancelled = payload(
        await api.query(CANCEL, as_=as_(patient), input={"appointmentId": node_id(session)}),
        "cancelAppointment",
    )
    by_patient = await api.query(
        PAY,
        as_=as_(patient),
        input={
            "appointmentId": node_id(session),
            "amount": "25.00",
            "method": "CARD",
            "reference": "rcpt-1",
        },
    )
    paid = payload(
        await api.query(
            PAY,
            as_=as_(doctor),
            input={
                "appointmentId": node_id(session),
                "amount": "25.00",
                "method": "CARD",
                "reference": "rcpt-1",
            },
        ),
        "recordPayment",
    )
    bad = await api.query(
        PAY,
        as_=ADMIN,
        input={
            "appointmentId": node_id(session),
            "amount": "-1",
            "method": "CASH",
            "reference": "",
        },
    )
    listed = await api.query(
        "query($p: ID!) { appointments(filter: {isPaid: true, patientId: $p}) { nodes { id } } }",
        p=node_id(patient),
    )

    assert cancelled["appointment"] == {
        "status": "CANCELLED",
        "lateCancellation": True,
        "cancellationFee": "25.00",
        "amountDue": "25.00",
    }
    assert user_errors(by_patient, "recordPayment") == [("FORBIDDEN", ["input"])]
    assert paid["appointment"] == {"isPaid": True, "amountPaid": "25.00", "amountDue": "25.00"}
    assert paid["payment"]["recordedBy"] == {"role": "PSYCHOLOGIST", "subject": doctor.subject}
    assert sorted(user_errors(bad, "recordPayment")) == [
        ("INVALID_INPUT", ["input", "amount"]),
        ("INVALID_INPUT", ["input", "reference"]),
    ]
    assert listed["data"]["appointments"]["nodes"] == [{"id": node_id(session)}]


async def test_a_series_is_requested_by_a_patient_read_as_one_and_cancelled_from_one_on(
    api: Api,
) -> None:
    doctor, patient, stranger = await people(api)
    asked = {
        "psychologistId": node_id(doctor),
        "firstScheduledAt": at(2, 10).isoformat(),
        "occurrences": 4,
        "frequency": "WEEKLY",
    }

    by_psychologist = await api.query(SERIES, as_=as_(doctor), input=asked)
    too_many = await api.query(SERIES, as_=as_(patient), input={**asked, "occurrences": 27})
    made = payload(
        await api.query(SERIES, as_=as_(patient), input=asked), "requestAppointmentSeries"
    )
    series = made["series"]
    by_stranger = await api.query(
        CANCEL_SERIES, as_=as_(stranger), input={"seriesId": series["id"]}
    )
    third = series["occurrences"][2]["id"]
    cancelled = payload(
        await api.query(
            CANCEL_SERIES,
            as_=as_(patient),
            input={"seriesId": series["id"], "fromAppointmentId": third},
        ),
        "cancelAppointmentSeries",
    )
    read = await api.query(
        "query($id: ID!) { node(id: $id) { ... on AppointmentSeries { occurrences { status } } } }",
        as_=as_(doctor),
        id=series["id"],
    )
    hidden = await api.query(
        "query($id: ID!) { appointmentSeries(id: $id) { id } }", as_=as_(stranger), id=series["id"]
    )

    assert payload(by_psychologist, "requestAppointmentSeries")["userErrors"] == [
        {"code": "FORBIDDEN", "field": ["input"]}
    ]
    assert payload(too_many, "requestAppointmentSeries")["userErrors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "occurrences"]}
    ]
    assert (series["frequency"], series["occurrenceCount"]) == ("WEEKLY", 4)
    assert [datetime.fromisoformat(o["scheduledAt"]) for o in series["occurrences"]] == [
        at(2 + 7 * week, 10) for week in range(4)
    ]
    assert [r["userErrors"] for r in made["results"]] == [[], [], [], []]
    assert user_errors(by_stranger, "cancelAppointmentSeries") == [
        ("NOT_FOUND", ["input", "seriesId"])
    ]
    assert cancelled["cancelled"] == [
        {"seriesIndex": 2, "status": "CANCELLED"},
        {"seriesIndex": 3, "status": "CANCELLED"},
    ]
    statuses = [o["status"] for o in read["data"]["node"]["occurrences"]]
    assert statuses[2:] == ["CANCELLED", "CANCELLED"]
    assert hidden["data"]["appointmentSeries"] is None


async def test_a_meeting_link_is_read_only_by_the_parties_and_staff(api: Api) -> None:
    doctor, patient, stranger = await people(api)
    session = await api.world.appointment(
        doctor,
        patient,
        status=AppointmentStatus.CONFIRMED,
        starts_at=at(2, 10),
        meeting_url="https://meet.jit.si/session-abc",
    )
    query = "query($id: ID!) { appointment(id: $id) { meetingUrl } }"
    seen = {
        who: (await api.query(query, as_=viewer, id=node_id(session)))["data"]["appointment"]
        for who, viewer in {
            "patient": as_(patient),
            "psychologist": as_(doctor),
            "admin": ADMIN,
            "stranger": as_(stranger),
        }.items()
    }
    assert seen == {
        "patient": {"meetingUrl": "https://meet.jit.si/session-abc"},
        "psychologist": {"meetingUrl": "https://meet.jit.si/session-abc"},
        "admin": {"meetingUrl": "https://meet.jit.si/session-abc"},
        "stranger": None,
    }


async def test_payments_and_series_of_a_page_take_the_same_statements_whatever_its_size(
    api: Api,
) -> None:
    doctor, patient, _ = await people(api)
    query = (
        "query($p: ID!) { appointments(first: 50, filter: {patientId: $p}) "
        "{ nodes { payments { amount } series { id } } } }"
    )

    async def statements_for(count: int, first_day: int) -> int:
        await api.world.appointments(
            doctor,
            patient,
            [at(first_day + day, 10) for day in range(count)],
            status=AppointmentStatus.CONFIRMED,
        )
        api.statements.clear()
        body = await api.query(query, p=node_id(patient))
        assert "errors" not in body, body
        return len(api.statements)

    few = await statements_for(2, 10)
    many = await statements_for(6, 20)
    assert few == many


async def test_the_other_refusals_each_have_their_code_and_field(api: Api) -> None:
    doctor, patient, _ = await people(api)
    other = await api.world.psychologist(time_zone="UTC")
    held = await api.world.appointment(
        doctor,
        patient,
        starts_at=at(2, 10),
        awaiting_confirmation_until=api.now + timedelta(hours=1),
    )
    confirmed = await api.world.appointment(
        doctor, patient, status=AppointmentStatus.CONFIRMED, starts_at=at(3, 10)
    )
    series_input = {
        "psychologistId": node_id(doctor),
        "firstScheduledAt": at(4, 10).isoformat(),
        "occurrences": 2,
        "idempotencyKey": "same-key",
    }
    made = payload(
        await api.query(SERIES, as_=as_(patient), input=series_input), "requestAppointmentSeries"
    )
    series_id = made["series"]["id"]
    pay = {"appointmentId": node_id(confirmed), "method": "CASH", "reference": "cash-1"}

    cases: list[tuple[str, str, tuple[str, str], dict[str, Any]]] = [
        (CONFIRM, "confirmAppointment", as_(other), {"appointmentId": node_id(held)}),
        (CONFIRM, "confirmAppointment", ADMIN, {"appointmentId": "not-an-id"}),
        (
            DECLINE,
            "declineAppointment",
            as_(other),
            {"appointmentId": node_id(held), "reason": "no"},
        ),
        (
            RESCHEDULE,
            "rescheduleAppointment",
            as_(patient),
            {"appointmentId": node_id(confirmed), "scheduledAt": at(3, 10).isoformat()},
        ),
        (
            RESCHEDULE,
            "rescheduleAppointment",
            ADMIN,
            {"appointmentId": node_id(doctor), "scheduledAt": at(3, 14).isoformat()},
        ),
        (POLICY, "setSessionPolicy", ADMIN, {"psychologistId": "bad"}),
        (
            SERIES,
            "requestAppointmentSeries",
            as_(patient),
            {**series_input, "occurrences": 3},
        ),
        (
            SERIES,
            "requestAppointmentSeries",
            as_(patient),
            {**series_input, "idempotencyKey": None, "firstScheduledAt": at(4, 20).isoformat()},
        ),
        (
            SERIES,
            "requestAppointmentSeries",
            as_(patient),
            {**series_input, "psychologistId": "nope", "idempotencyKey": None},
        ),
        (
            CANCEL_SERIES,
            "cancelAppointmentSeries",
            as_(patient),
            {"seriesId": series_id, "fromAppointmentId": node_id(confirmed)},
        ),
        (CANCEL_SERIES, "cancelAppointmentSeries", as_(patient), {"seriesId": node_id(confirmed)}),
        (PAY, "recordPayment", as_(other), {**pay, "amount": "10.00"}),
        (PAY, "recordPayment", ADMIN, {**pay, "amount": "10.00", "kind": "REFUND"}),
    ]
    found = []
    for query, field, viewer, input in cases:
        found.append(user_errors(await api.query(query, as_=viewer, input=input), field))

    assert found == [
        [("NOT_FOUND", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "appointmentId"])],
        [("NOT_FOUND", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "scheduledAt"])],
        [("INVALID_INPUT", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "psychologistId"])],
        [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])],
        [("INVALID_INPUT", ["input", "occurrences"])],
        [("INVALID_INPUT", ["input", "psychologistId"])],
        [("NOT_FOUND", ["input", "fromAppointmentId"])],
        [("INVALID_INPUT", ["input", "seriesId"])],
        [("NOT_FOUND", ["input", "appointmentId"])],
        [("INVALID_INPUT", ["input", "amount"])],
    ]
