"""Input an attacker chooses gets a clear answer with a code: never an internal error, never
a Python message, on PostgreSQL and on SQLite."""

import base64
from typing import Any

import jwt
import orjson
import pytest

from domain.people import Patient, Psychologist
from graphql_client import SECRET, Api, codes, running_api
from live_client import live_client
from world import hours_from, node_id

INTERNAL = "INTERNAL_SERVER_ERROR"


def forged(*items: object) -> str:
    """A cursor as the app writes them, but holding whatever the attacker chose."""
    return base64.urlsafe_b64encode(orjson.dumps(list(items))).decode().rstrip("=")


def assert_answered(body: dict[str, Any], *wanted: str) -> None:
    """No internal error, and each error carries one of the wanted codes."""
    assert INTERNAL not in codes(body), body
    assert codes(body), body
    assert set(codes(body)) <= set(wanted), body
    for error in body["errors"]:
        for leak in ("Traceback", "sqlalchemy", "asyncpg", "sqlite", "Error:", "object"):
            assert leak not in error["message"], error


APPOINTMENTS = "query($after: String, $before: String) { appointments(first: 5, after: $after, before: $before) { nodes { id } } }"
APPOINTMENTS_BACK = (
    "query($before: String) { appointments(last: 5, before: $before) { nodes { id } } }"
)
PSYCHOLOGISTS = "query($after: String, $before: String) { psychologists(first: 5, after: $after, before: $before) { nodes { id } } }"
PSYCHOLOGISTS_BACK = (
    "query($before: String) { psychologists(last: 5, before: $before) { nodes { id } } }"
)
ORDERING = "appointments:SCHEDULED_AT:ASC"
ROW = "0190a7c4-6b5e-7a11-9c3d-1f2e3d4c5b6a"

FORGED_CURSORS = [
    forged(ORDERING, "2030-01-01T00:00:00+00:00", 5),
    forged(ORDERING, "2030-01-01T00:00:00+00:00", [1]),
    forged(ORDERING, "2030-01-01T00:00:00+00:00", {"a": 1}),
    forged(ORDERING, "2030-01-01T00:00:00+00:00", None),
    forged([ORDERING], "2030-01-01T00:00:00+00:00", ROW),
    forged(ORDERING, "9999-12-31T23:59:59+00:00", ROW),
    forged(ORDERING, "0001-01-01T00:00:00+00:00", ROW),
    forged(ORDERING, "9999-12-31T23:59:59-14:00", ROW),
    forged(ORDERING, "2030-01-01T00:00:00+00:00\u0000", ROW),
    forged(ORDERING, "2030-01-01T00:00:00+00:00", ROW + "\u0000"),
    forged("psychologists:NAME:ASC", "x", ROW),
    base64.urlsafe_b64encode(orjson.dumps({"a": 1})).decode(),
    base64.urlsafe_b64encode(orjson.dumps([1, 2])).decode(),
    base64.urlsafe_b64encode(orjson.dumps([1, 2, 3, 4])).decode(),
]
PSYCHOLOGIST_CURSORS = [
    forged("psychologists:NAME:ASC", "x", 5),
    forged("psychologists:NAME:ASC", "x", [ROW]),
    forged("psychologists:NAME:ASC", 7, ROW),
    forged("psychologists:NAME:ASC", "x\u0000", ROW),
    forged("psychologists:NAME:ASC", "x" * 100_000, ROW),
    forged(["psychologists:NAME:ASC"], "x", ROW),
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_a_forged_appointment_cursor_is_bad_user_input(
    backend_api: Api, cursor: str, argument: str
) -> None:
    query = APPOINTMENTS if argument == "after" else APPOINTMENTS_BACK
    body = await backend_api.query(query, **{argument: cursor})
    assert_answered(body, "BAD_USER_INPUT")


@pytest.mark.parametrize("cursor", PSYCHOLOGIST_CURSORS)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_a_forged_psychologist_cursor_is_bad_user_input(
    backend_api: Api, cursor: str, argument: str
) -> None:
    query = PSYCHOLOGISTS if argument == "after" else PSYCHOLOGISTS_BACK
    body = await backend_api.query(query, **{argument: cursor})
    assert_answered(body, "BAD_USER_INPUT")


REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    appointment { id status }
    userErrors { code field message }
  }
}"""


async def people(api: Api) -> tuple[Psychologist, Patient]:
    return await api.world.psychologist(), await api.world.patient()


def as_patient(patient: Patient) -> tuple[str, str]:
    assert patient.subject is not None
    return ("patient", patient.subject)


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:00Z",
        "9999-12-31T23:00:00-14:00",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9998-12-31T23:00:00Z",
        "0002-01-01T00:00:00Z",
    ],
)
async def test_a_date_at_the_ends_of_the_calendar_is_refused_cleanly(
    backend_api: Api, when: str
) -> None:
    psychologist, patient = await people(backend_api)
    body = await backend_api.query(
        REQUEST,
        as_=as_patient(patient),
        input={"psychologistId": node_id(psychologist), "scheduledAt": when},
    )
    assert INTERNAL not in codes(body), body
    if "errors" not in body:
        assert body["data"]["requestAppointment"]["userErrors"], body
    for query in (
        "query($d: DateTime) { appointments(filter: {scheduledFrom: $d}) { nodes { id } } }",
        "query($d: DateTime) { appointments(filter: {scheduledTo: $d}) { nodes { id } } }",
    ):
        answer = await backend_api.query(query, d=when)
        assert INTERNAL not in codes(answer), answer
    slots = await backend_api.query(
        "query($id: ID!, $d: DateTime!) { psychologist(id: $id) {"
        " availableSlots(from: $d, to: $d) { startsAt } } }",
        id=node_id(psychologist),
        d=when,
    )
    assert INTERNAL not in codes(slots), slots


async def test_a_name_filter_of_a_hundred_thousand_characters_is_refused(
    backend_api: Api,
) -> None:
    body = await backend_api.query(
        "query($n: String) { psychologists(filter: {nameContains: $n}) { nodes { id } } }",
        n="a%" * 50_000,
    )
    assert_answered(body, "BAD_USER_INPUT")


NUL = "bad\u0000value"


@pytest.mark.parametrize(
    "where",
    ["notes", "idempotencyKey", "patient.name", "patient.email", "patient.phone"],
)
async def test_a_nul_character_in_a_request_is_refused(backend_api: Api, where: str) -> None:
    psychologist, _ = await people(backend_api)
    item: dict[str, Any] = {
        "psychologistId": node_id(psychologist),
        "scheduledAt": hours_from(backend_api.now, 24 * 7).isoformat(),
        "patient": {"name": "Ana", "email": "ana@example.org"},
    }
    if where.startswith("patient."):
        item["patient"][where.removeprefix("patient.")] = NUL
    else:
        item[where] = NUL
    body = await backend_api.query(REQUEST, input=item)
    assert INTERNAL not in codes(body), body
    if "errors" in body:
        assert_answered(body, "BAD_USER_INPUT")
    else:
        assert body["data"]["requestAppointment"]["userErrors"], body


@pytest.mark.parametrize(
    "filter_",
    [
        {"nameContains": NUL},
        {"specialty": NUL},
        {"specialties": [NUL]},
        {"language": NUL},
    ],
)
async def test_a_nul_character_in_a_filter_is_refused(
    backend_api: Api, filter_: dict[str, Any]
) -> None:
    body = await backend_api.query(
        "query($f: PsychologistFilter) { psychologists(filter: $f) { nodes { id } } }", f=filter_
    )
    assert_answered(body, "BAD_USER_INPUT")


def signed(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "patient-x", "role": "patient", "exp": 253402300800 + 1},
        {"sub": "patient-x", "role": "patient", "exp": 10**20},
        {"sub": "patient-x", "role": "patient", "exp": 1e300},
        {"sub": "patient-x", "role": "patient", "exp": float("inf")},
        {"sub": "patient-x", "role": "patient", "exp": float("nan")},
        {"sub": "patient-x", "role": "patient", "exp": 2**31, "iat": float("inf")},
        {"sub": "patient-x", "role": "patient", "exp": 2**31, "nbf": float("-inf")},
        {"sub": "patient-x", "role": "patient", "exp": -(10**30)},
        {"sub": "p" * 201, "role": "patient", "exp": 2**31},
        {"sub": "patient\u0000x", "role": "patient", "exp": 2**31},
        {"sub": "patient-x", "role": "patient", "exp": 2**31, "email": "a" * 10_000},
    ],
)
async def test_a_correctly_signed_token_with_unusable_claims_is_unauthenticated(
    backend_api: Api, claims: dict[str, Any]
) -> None:
    response = await backend_api.client.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": f"Bearer {signed(claims)}"},
    )
    assert response.status_code in (200, 401), response.text
    assert_answered(response.json(), "UNAUTHENTICATED")


async def test_a_long_subject_books_nothing_and_breaks_nothing(backend_api: Api) -> None:
    psychologist, _ = await people(backend_api)
    token = signed({"sub": "p" * 250, "role": "patient", "exp": 2**31})
    response = await backend_api.client.post(
        "/graphql",
        json={
            "query": REQUEST,
            "variables": {
                "input": {
                    "psychologistId": node_id(psychologist),
                    "scheduledAt": hours_from(backend_api.now, 24 * 7).isoformat(),
                    "idempotencyKey": "k",
                    "patient": {"name": "Ana", "email": "ana@example.org"},
                }
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_answered(response.json(), "UNAUTHENTICATED")


async def test_an_event_cursor_beyond_any_sequence_is_bad_user_input(database_url: str) -> None:
    huge = base64.urlsafe_b64encode(b"event:" + b"9" * 20).decode().rstrip("=")
    async with (
        running_api(database_url, listen=True) as api,
        live_client(api.ws_url, token=api.token("admin", "admin-1")) as client,
    ):
        operation = await client.subscribe(
            "subscription($after: String) { appointmentEvents(after: $after) { status } }",
            after=huge,
        )
        assert await operation.error_codes() == ["BAD_USER_INPUT"]


async def test_a_date_in_a_cursor_at_the_end_of_time_pages_nothing(backend_api: Api) -> None:
    body = await backend_api.query(
        "query($after: String) { appointments(first: 5, after: $after,"
        " orderBy: {field: CREATED_AT}) { nodes { id } } }",
        after=forged("appointments:CREATED_AT:ASC", "9999-12-31T23:59:59.999999+00:00", ROW),
    )
    assert INTERNAL not in codes(body), body


@pytest.mark.parametrize(
    "filter_",
    [
        {"nameContains": "a" * 201},
        {"specialty": "a" * 201},
        {"language": "a" * 201},
        {"specialties": ["a" * 201]},
        {"specialties": ["anxiety"] * 51},
    ],
)
async def test_a_psychologist_filter_longer_than_any_value_is_refused(
    backend_api: Api, filter_: dict[str, Any]
) -> None:
    body = await backend_api.query(
        "query($f: PsychologistFilter) { psychologists(filter: $f) { nodes { id } } }", f=filter_
    )
    assert_answered(body, "BAD_USER_INPUT")


CALENDAR_CHANGES = [
    (
        "mutation($input: AddExtraHoursInput!) { addExtraHours(input: $input) { userErrors { code } } }",
        {"date": "DAY", "startTime": "09:00", "endTime": "10:00"},
    ),
    (
        "mutation($input: AddTimeOffInput!) { addTimeOff(input: $input) { userErrors { code } } }",
        {"startDate": "DAY", "endDate": "DAY"},
    ),
    (
        "mutation($input: AddTimeOffInput!) { addTimeOff(input: $input) { userErrors { code } } }",
        {"startsAt": "INSTANT", "endsAt": "2030-03-20T00:00:00Z"},
    ),
    (
        "mutation($input: SetWeeklyHoursInput!) { setWeeklyHours(input: $input) { userErrors { code } } }",
        {"effectiveFrom": "DAY", "hours": []},
    ),
]


@pytest.mark.parametrize(("mutation", "shape"), CALENDAR_CHANGES)
@pytest.mark.parametrize(
    ("day", "instant"),
    [("0001-01-01", "0002-01-01T00:00:00Z"), ("9999-12-31", "9998-12-31T23:59:00Z")],
)
async def test_calendar_changes_at_the_ends_of_the_calendar_are_refused_cleanly(
    backend_api: Api, mutation: str, shape: dict[str, Any], day: str, instant: str
) -> None:
    psychologist = await backend_api.world.psychologist()
    values = {
        key: day if value == "DAY" else instant if value == "INSTANT" else value
        for key, value in shape.items()
    }
    body = await backend_api.query(
        mutation, input={"psychologistId": node_id(psychologist), **values}
    )
    assert INTERNAL not in codes(body), body


async def test_a_nul_character_in_a_subscription_argument_is_refused(database_url: str) -> None:
    async with (
        running_api(database_url, listen=True) as api,
        live_client(api.ws_url, token=api.token("admin", "admin-1")) as client,
    ):
        operation = await client.subscribe(
            "subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status } }",
            id="QXBwb2ludG1lbnQ6\u0000",
        )
        assert await operation.error_codes() == ["BAD_USER_INPUT"]


CREATE_PSYCHOLOGIST = """
mutation($input: CreatePsychologistInput!) {
  createPsychologist(input: $input) { psychologist { id } userErrors { code field } }
}"""


@pytest.mark.parametrize(
    "change",
    [
        {"consultationFee": "1e400"},
        {"consultationFee": "NaN"},
        {"consultationFee": "-Infinity"},
        {"consultationFee": "9" * 40},
        {"consultationFee": "0.001"},
        {"defaultDurationMinutes": 2**31 - 1},
        {"defaultDurationMinutes": 0},
        {"specialties": ["x" * 61] * 3},
        {"specialties": [f"s{n}" for n in range(150)]},
        {"languages": ["\u00e9" * 5000]},
        {"bio": "b" * 9000},
        {"subject": "s" * 201},
        {"email": "PSY@X.ZZ\n"},
        {"timeZone": "Mars/Olympus_Mons"},
        {"timeZone": "../../etc/localtime"},
        {"workingHours": [{"weekday": "MONDAY", "startTime": "23:00", "endTime": "01:00"}]},
    ],
)
async def test_a_psychologist_with_hostile_fields_is_refused_cleanly(
    backend_api: Api, change: dict[str, Any]
) -> None:
    psychologist = {
        "name": "Dr. Fuzz",
        "email": "dr.fuzz@x.zz",
        "timeZone": "Europe/Lisbon",
        "workingHours": [{"weekday": "MONDAY", "startTime": "09:00", "endTime": "17:00"}],
        **change,
    }
    body = await backend_api.query(CREATE_PSYCHOLOGIST, input=psychologist)
    assert INTERNAL not in codes(body), body
    if "errors" not in body:
        assert body["data"]["createPsychologist"]["userErrors"], body
