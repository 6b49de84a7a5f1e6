"""requestAppointment, requestAppointments and cancelAppointment against PostgreSQL,
decided by the worker running in process on the in-process queue."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.appointments import AppointmentStatus
from domain.people import Psychologist
from graphql_client import APP_NOW, Api
from world import node_id

REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    requestId
    appointment { id status version scheduledAt endsAt durationMinutes patient { email } }
    userErrors { field code message }
  }
}"""
BATCH = """
mutation($input: RequestAppointmentsInput!) {
  requestAppointments(input: $input) {
    batchId requestId acceptedCount failedCount
    results { index appointment { id status } userErrors { field code } }
  }
}"""
CANCEL = """
mutation($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status cancellationReason version } userErrors { field code } }
}"""
SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) { startsAt }
  }
}"""


async def free_slots(api: Api, count: int, *psychologists: Psychologist) -> list[tuple[str, str]]:
    """(psychologist id, start) pairs the API offers, distinct, of these psychologists (by
    default two new ones keeping office hours)."""
    chosen = list(psychologists) or await api.world.psychologists(2)
    pairs = []
    for psychologist in chosen:
        body = await api.query(
            SLOTS,
            id=node_id(psychologist),
            **{
                "from": (api.now + timedelta(days=2)).isoformat(),
                "to": (api.now + timedelta(days=30)).isoformat(),
            },
        )
        slots = body["data"]["psychologist"]["availableSlots"]
        pairs += [(node_id(psychologist), slot["startsAt"]) for slot in slots]
    assert len(pairs) >= count
    return pairs[:count]


async def a_patient(api: Api) -> tuple[str, str]:
    """A new patient of the database, as the viewer a token names."""
    patient = await api.world.patient()
    assert patient.subject is not None
    return ("patient", patient.subject)


def request(psychologist: str, start: str, **extra: Any) -> dict[str, Any]:
    return {"psychologistId": psychologist, "scheduledAt": start, "durationMinutes": 50, **extra}


async def test_a_patient_request_is_pending_at_once_and_then_confirmed(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    patient = await api.world.patient()
    assert patient.subject is not None
    body = await api.query(
        REQUEST, as_=("patient", patient.subject), input=request(psychologist, start)
    )
    payload = body["data"]["requestAppointment"]
    assert payload["userErrors"] == []
    assert payload["appointment"]["status"] == "PENDING"
    assert payload["appointment"]["patient"]["email"] == patient.email
    assert payload["requestId"]

    appointment_id = payload["appointment"]["id"]
    assert await api.wait_for_status(appointment_id, "CONFIRMED") == "CONFIRMED"
    history = await api.query(
        "query($id: ID!) { appointment(id: $id) { version history { version status requestId } } }",
        id=appointment_id,
    )
    found = history["data"]["appointment"]
    assert found["version"] == 2
    assert [(e["version"], e["status"]) for e in found["history"]] == [
        (1, "PENDING"),
        (2, "CONFIRMED"),
    ]
    assert {e["requestId"] for e in found["history"]} == {payload["requestId"]}


async def _errors(
    api: Api, who: tuple[str, str], item: dict[str, Any]
) -> list[tuple[list[str], str]]:
    body = await api.query(REQUEST, as_=who, input=item)
    payload = body["data"]["requestAppointment"]
    assert payload["appointment"] is None
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"patient": {"name": "Ana", "email": "not-an-email"}},
            ["input", "patient", "email"],
            "INVALID_INPUT",
        ),
        (
            {"patient": {"name": "Ana", "email": "a@b.example", "phone": "11 99999"}},
            ["input", "patient", "phone"],
            "INVALID_INPUT",
        ),
        (
            {"patient": {"name": "", "email": "a@b.example"}},
            ["input", "patient", "name"],
            "INVALID_INPUT",
        ),
        (
            {"patient": {"name": "x" * 201, "email": "a@b.example"}},
            ["input", "patient", "name"],
            "INVALID_INPUT",
        ),
        ({"notes": "n" * 2001}, ["input", "notes"], "INVALID_INPUT"),
        ({"durationMinutes": 10}, ["input", "durationMinutes"], "INVALID_INPUT"),
        ({"durationMinutes": 241}, ["input", "durationMinutes"], "INVALID_INPUT"),
        (
            {"scheduledAt": (APP_NOW - timedelta(days=1)).isoformat()},
            ["input", "scheduledAt"],
            "IN_THE_PAST",
        ),
        (
            {"scheduledAt": (APP_NOW + timedelta(hours=5)).isoformat()},
            ["input", "scheduledAt"],
            "TOO_SOON",
        ),
        (
            {"scheduledAt": (APP_NOW + timedelta(days=200)).isoformat()},
            ["input", "scheduledAt"],
            "TOO_FAR_AHEAD",
        ),
        (
            {"psychologistId": "UHN5Y2hvbG9naXN0Om5vcGU"},
            ["input", "psychologistId"],
            "INVALID_INPUT",
        ),
        ({"idempotencyKey": ""}, ["input", "idempotencyKey"], "INVALID_INPUT"),
    ],
)
async def test_each_invalid_input_is_a_user_error_with_its_path(
    api: Api, change: dict[str, Any], field: list[str], code: str
) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    errors = await _errors(api, await a_patient(api), {**request(psychologist, start), **change})
    assert (field, code) in errors


async def test_a_start_that_is_not_a_whole_minute_or_outside_hours_is_refused(api: Api) -> None:
    # Office hours in UTC: 03:00 UTC is the middle of the night.
    [(psychologist, start)] = await free_slots(
        api, 1, await api.world.psychologist(time_zone="UTC")
    )
    patient = await a_patient(api)
    seconds = start.replace(":00Z", ":30Z")
    assert (["input", "scheduledAt"], "INVALID_INPUT") in await _errors(
        api, patient, request(psychologist, seconds)
    )
    night = (api.now + timedelta(days=3)).replace(hour=3).isoformat()
    assert (["input", "scheduledAt"], "OUTSIDE_WORKING_HOURS") in await _errors(
        api, patient, request(psychologist, night)
    )


async def test_an_unknown_or_inactive_psychologist_is_refused(api: Api) -> None:
    [(_, start)] = await free_slots(api, 1)
    inactive_id = node_id(await api.world.psychologist(active=False))
    unknown = "UHN5Y2hvbG9naXN0OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA"
    patient = await a_patient(api)
    assert (["input", "psychologistId"], "NOT_FOUND") in await _errors(
        api, patient, request(unknown, start)
    )
    assert (["input", "psychologistId"], "PSYCHOLOGIST_UNAVAILABLE") in await _errors(
        api, patient, request(inactive_id, start)
    )


async def test_a_time_overlapping_a_confirmed_session_is_slot_taken_at_once(api: Api) -> None:
    psychologist, someone = await api.world.psychologist(), await api.world.patient()
    [(_, start)] = await free_slots(api, 1, psychologist)
    booked = datetime.fromisoformat(start)
    await api.world.appointments(psychologist, someone, [booked], AppointmentStatus.CONFIRMED)
    overlapping = (booked + timedelta(minutes=15)).isoformat()
    errors = await _errors(
        api,
        await a_patient(api),
        request(node_id(psychologist), overlapping, durationMinutes=30),
    )
    assert errors == [(["input", "scheduledAt"], "SLOT_TAKEN")]


async def test_psychologists_may_not_book_and_admins_must_name_the_patient(api: Api) -> None:
    doctor = await api.world.psychologist()
    [(psychologist, start)] = await free_slots(api, 1, doctor)
    assert doctor.subject is not None
    assert await _errors(api, ("psychologist", doctor.subject), request(psychologist, start)) == [
        (["input"], "FORBIDDEN")
    ]
    assert (["input", "patient"], "INVALID_INPUT") in await _errors(
        api, ("admin", "admin-1"), request(psychologist, start)
    )


async def test_an_admin_books_on_behalf_of_a_new_patient(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    patient = {"name": "New Person", "email": "New.Person@Mail.Example", "phone": "+351912345678"}
    body = await api.query(REQUEST, input=request(psychologist, start, patient=patient))
    payload = body["data"]["requestAppointment"]
    assert payload["userErrors"] == []
    # Kept case-folded, the one form it is found by whatever case it is given in.
    assert payload["appointment"]["patient"]["email"] == "new.person@mail.example"


async def test_a_new_patient_needs_a_profile_on_the_first_booking(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    newcomer = ("patient", "patient-new")
    assert (["input", "patient"], "INVALID_INPUT") in await _errors(
        api, newcomer, request(psychologist, start)
    )
    profile = {"name": "Newcomer", "email": "newcomer@mail.example"}
    body = await api.query(
        REQUEST, as_=newcomer, input=request(psychologist, start, patient=profile)
    )
    assert body["data"]["requestAppointment"]["userErrors"] == []
    viewer = await api.query("{ viewer { patient { email } } }", as_=newcomer)
    assert viewer["data"]["viewer"]["patient"] == {"email": "newcomer@mail.example"}


async def test_a_batch_of_100_with_10_invalid_items_accepts_90_in_one_transaction(api: Api) -> None:
    slots = await free_slots(api, 90)
    items: list[dict[str, Any]] = []
    bad_indexes = set(range(5, 100, 10))
    slot = iter(slots)
    for index in range(100):
        if index in bad_indexes:
            items.append(request(slots[0][0], slots[0][1], durationMinutes=5))
        else:
            items.append(request(*next(slot)))
    patient = await a_patient(api)
    api.statements.clear()

    body = await api.query(BATCH, as_=patient, input={"appointments": items})

    payload = body["data"]["requestAppointments"]
    assert (payload["acceptedCount"], payload["failedCount"]) == (90, 10)
    assert [r["index"] for r in payload["results"]] == list(range(100))
    for result in payload["results"]:
        if result["index"] in bad_indexes:
            assert result["appointment"] is None
            assert result["userErrors"] == [
                {
                    "field": ["input", "appointments", str(result["index"]), "durationMinutes"],
                    "code": "INVALID_INPUT",
                }
            ]
        else:
            assert result["appointment"]["status"] == "PENDING"
            assert result["userErrors"] == []
    inserts = [s for s in api.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) <= 3, inserts


async def test_more_than_100_items_is_batch_too_large(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    body = await api.query(
        BATCH,
        as_=await a_patient(api),
        input={"appointments": [request(psychologist, start)] * 101},
    )
    payload = body["data"]["requestAppointments"]
    assert payload["acceptedCount"] == 0
    assert {r["userErrors"][0]["code"] for r in payload["results"]} == {"BATCH_TOO_LARGE"}


async def test_the_same_idempotency_key_returns_the_first_result_and_creates_nothing(
    api: Api,
) -> None:
    [(psychologist, start), (_, other_start)] = await free_slots(api, 2)
    patient = await a_patient(api)
    item = request(psychologist, start, idempotencyKey="key-1")
    first = (await api.query(REQUEST, as_=patient, input=item))["data"]["requestAppointment"]
    again = (await api.query(REQUEST, as_=patient, input=item))["data"]["requestAppointment"]
    changed = (await api.query(REQUEST, as_=patient, input={**item, "scheduledAt": other_start}))[
        "data"
    ]["requestAppointment"]
    assert again["appointment"]["id"] == first["appointment"]["id"]
    assert changed["userErrors"] == [
        {
            "field": ["input", "idempotencyKey"],
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": changed["userErrors"][0]["message"],
        }
    ]


async def test_concurrent_requests_with_one_key_create_one_appointment(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    item = request(psychologist, start, idempotencyKey="concurrent-key")
    patient = await a_patient(api)
    bodies = await asyncio.gather(*(api.query(REQUEST, as_=patient, input=item) for _ in range(10)))
    ids = {b["data"]["requestAppointment"]["appointment"]["id"] for b in bodies}
    assert len(ids) == 1
    mine = await api.query(
        "query($from: DateTime, $to: DateTime) { appointments(filter: {scheduledFrom: $from, scheduledTo: $to}) { totalCount } }",
        as_=patient,
        **{"from": start, "to": start.replace(":00Z", ":01Z")},
    )
    assert mine["data"]["appointments"]["totalCount"] == 1


async def test_a_patient_cancels_their_own_appointment_once(api: Api) -> None:
    [(psychologist, start)] = await free_slots(api, 1)
    patient, other = await a_patient(api), await a_patient(api)
    created = await api.query(REQUEST, as_=patient, input=request(psychologist, start))
    appointment_id = created["data"]["requestAppointment"]["appointment"]["id"]
    await api.wait_for_status(appointment_id, "CONFIRMED")

    stranger = await api.query(CANCEL, as_=other, input={"appointmentId": appointment_id})
    assert stranger["data"]["cancelAppointment"]["userErrors"] == [
        {"field": ["input", "appointmentId"], "code": "NOT_FOUND"}
    ]
    done = await api.query(
        CANCEL, as_=patient, input={"appointmentId": appointment_id, "reason": "sick"}
    )
    assert done["data"]["cancelAppointment"]["appointment"] == {
        "status": "CANCELLED",
        "cancellationReason": "sick",
        "version": 3,
    }
    twice = await api.query(CANCEL, as_=patient, input={"appointmentId": appointment_id})
    assert twice["data"]["cancelAppointment"]["userErrors"][0]["code"] == "INVALID_STATE"


BATCH_PATIENTS = """
mutation($input: RequestAppointmentsInput!) {
  requestAppointments(input: $input) {
    acceptedCount
    results { index appointment { patient { id email } } userErrors { field code } }
  }
}"""


async def test_a_batch_finds_and_adds_its_patients_all_at_once(api: Api) -> None:
    known = await api.world.patient()
    slots = await free_slots(api, 12)
    emails = [f"batch-{n}@mail.example" for n in range(10)]
    # One new email twice (in another case), and a patient the database has.
    emails += ["BATCH-3@Mail.Example", known.email]
    items = [
        request(*slot, patient={"name": f"Patient {n}", "email": email})
        for n, (slot, email) in enumerate(zip(slots, emails, strict=True))
    ]
    api.statements.clear()

    body = await api.query(BATCH_PATIENTS, input={"appointments": items})

    payload = body["data"]["requestAppointments"]
    assert payload["acceptedCount"] == len(items)
    patients = [r["appointment"]["patient"] for r in payload["results"]]
    assert [p["email"] for p in patients] == [e.lower() for e in emails]
    assert len({p["id"] for p in patients}) == 11
    assert patients[3]["id"] == patients[10]["id"]
    assert patients[11]["id"] == node_id(known)
    # The new patients in one insert, beside the appointments', events' and outbox's.
    inserts = [s for s in api.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) <= 4, inserts
