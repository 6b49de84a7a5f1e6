"""The GraphQL read API in process, over HTTP semantics, against PostgreSQL; each test
writes the people and appointments it reads."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.appointments import Appointment, AppointmentStatus
from domain.people import Patient, Psychologist
from graphql_client import SECRET, Api, codes, running_api
from world import hours_from, node_id

PAGE = """
query Page($first: Int) {
  appointments(first: $first) {
    edges { cursor node { id scheduledAt status appointmentType
      patient { name email } psychologist { name } } }
  }
}
"""


async def some_appointments(api: Api, count: int) -> list[Appointment]:
    """`count` appointments in several statuses, spread over two psychologists and three
    patients, from three days after the app's clock on, an hour apart."""
    psychologists = await api.world.psychologists(2)
    patients = await api.world.patients(3)
    statuses = list(AppointmentStatus)
    made = []
    for number in range(count):
        made += await api.world.appointments(
            psychologists[number % 2],
            patients[number % 3],
            [hours_from(api.now, 72 + number)],
            statuses[number % len(statuses)],
        )
    return made


async def test_a_page_with_patient_and_psychologist_costs_the_same_statements_at_any_size(
    api: Api,
) -> None:
    await some_appointments(api, 100)
    api.statements.clear()
    await api.query(PAGE, first=10)
    small = len(api.statements)
    api.statements.clear()

    body = await api.query(PAGE, first=100)

    assert len(body["data"]["appointments"]["edges"]) == 100
    assert len(api.statements) == small <= 3, api.statements


NESTED = """
query Nested($first: Int) {
  psychologists(first: $first) {
    edges { node { name appointments(first: 20) {
      totalCount
      edges { cursor node { id status patient { name } } }
      pageInfo { hasNextPage endCursor }
    } } }
  }
}
"""


@pytest.mark.parametrize("compiled", [True, False])
async def test_nested_connections_cost_one_statement_per_level_at_any_number_of_parents(
    backend_url: str, compiled: bool
) -> None:
    async with running_api(backend_url, compiled_reads=compiled) as api:
        psychologists = await api.world.psychologists(6)
        patient = await api.world.patient()
        for number, psychologist in enumerate(psychologists):
            await api.world.appointments(
                psychologist,
                patient,
                [hours_from(api.now, 72 + number * 30 + k) for k in range(25)],
            )

        async def reads(first: int) -> list[str]:
            api.statements.clear()
            body = await api.query(NESTED, first=first)
            assert "errors" not in body, body
            rows = [e["node"]["appointments"] for e in body["data"]["psychologists"]["edges"]]
            assert [len(r["edges"]) for r in rows] == [20] * first
            assert all(r["totalCount"] == 25 and r["pageInfo"]["hasNextPage"] for r in rows)
            return [s for s in api.statements if "appointments" in s]

        one, six = await reads(1), await reads(6)
        # The appointments of every psychologist of the page: one read, and one count.
        assert len(six) == len(one) == 2, six


async def test_total_count_is_only_counted_when_selected(api: Api) -> None:
    await some_appointments(api, 7)
    api.statements.clear()
    await api.query("{ appointments(first: 5) { nodes { id } } }")
    assert not any("count(" in s.lower() for s in api.statements)
    body = await api.query("{ appointments(first: 5) { totalCount } }")
    assert body["data"]["appointments"]["totalCount"] == 7
    assert any("count(" in s.lower() for s in api.statements)


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ("first: 101", "first"),
        ("last: 101", "last"),
        ("first: -1", "first"),
        ("first: 2, last: 2", "last"),
        ('after: "forged"', "after"),
        ('before: "WyJ4Il0"', "before"),
    ],
)
async def test_bad_pagination_input_is_a_bad_user_input_error(
    api: Api, arguments: str, argument: str
) -> None:
    body = await api.query(f"{{ appointments({arguments}) {{ nodes {{ id }} }} }}")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == argument


async def test_a_cursor_of_another_ordering_or_connection_is_refused(api: Api) -> None:
    await some_appointments(api, 2)
    page = await api.query("{ appointments(first: 1) { pageInfo { endCursor } } }")
    cursor = page["data"]["appointments"]["pageInfo"]["endCursor"]
    other_order = await api.query(
        "query($c: String) { appointments(after: $c, orderBy: {field: CREATED_AT}) "
        "{ nodes { id } } }",
        c=cursor,
    )
    other_connection = await api.query(
        "query($c: String) { psychologists(after: $c) { nodes { id } } }", c=cursor
    )
    assert codes(other_order) == ["BAD_USER_INPUT"]
    assert codes(other_connection) == ["BAD_USER_INPUT"]


async def test_paging_forward_then_back_returns_the_same_rows(api: Api) -> None:
    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      appointments(first: $first, after: $after, last: $last, before: $before,
                   orderBy: {field: STATUS, direction: DESC}) {
        nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    await some_appointments(api, 15)
    first = (await api.query(query, first=5))["data"]["appointments"]
    second = (await api.query(query, first=5, after=first["pageInfo"]["endCursor"]))["data"][
        "appointments"
    ]
    back = (await api.query(query, last=5, before=second["pageInfo"]["startCursor"]))["data"][
        "appointments"
    ]
    assert back["nodes"] == first["nodes"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert back["pageInfo"]["hasNextPage"]


ALL_WITH_PATIENTS = (
    "{ appointments(first: 100) { nodes { id patient { id email } psychologist { id } } } }"
)


@dataclass(frozen=True)
class Two:
    """Two patients, each with appointments; the psychologist `shared` sees both."""

    me: Patient
    other: Patient
    shared: Psychologist
    theirs_only: Psychologist
    mine: list[Appointment]
    theirs: list[Appointment]

    @property
    def as_me(self) -> tuple[str, str]:
        assert self.me.subject is not None
        return ("patient", self.me.subject)


async def two_patients(api: Api) -> Two:
    shared, theirs_only = await api.world.psychologists(2)
    me, other = await api.world.patients(2)
    days = [hours_from(api.now, 24 * day) for day in range(3, 6)]
    mine = await api.world.appointments(shared, me, days[:2])
    theirs = await api.world.appointments(shared, other, days[2:])
    theirs += await api.world.appointments(theirs_only, other, days[:2])
    return Two(me, other, shared, theirs_only, mine, theirs)


async def test_a_patient_sees_only_their_own_appointments_in_the_list(api: Api) -> None:
    two = await two_patients(api)
    everything = await api.query(ALL_WITH_PATIENTS)
    assert len(everything["data"]["appointments"]["nodes"]) == 5

    mine = await api.query(ALL_WITH_PATIENTS, as_=two.as_me)
    nodes = mine["data"]["appointments"]["nodes"]
    assert {n["id"] for n in nodes} == {node_id(a) for a in two.mine}
    assert {n["patient"]["email"] for n in nodes} == {two.me.email}

    theirs = await api.query(
        "query($p: ID) { appointments(filter: {patientId: $p}) { totalCount nodes { id } } }",
        as_=two.as_me,
        p=node_id(two.other),
    )
    assert theirs["data"]["appointments"] == {"totalCount": 0, "nodes": []}


async def test_a_patient_cannot_read_another_patients_appointment_by_id_or_node(api: Api) -> None:
    two = await two_patients(api)
    other_appointment = node_id(two.theirs[0])
    by_id = await api.query(
        "query($id: ID!) { appointment(id: $id) { id } }", as_=two.as_me, id=other_appointment
    )
    by_node = await api.query(
        "query($id: ID!) { node(id: $id) { id } }", as_=two.as_me, id=other_appointment
    )
    patient_node = await api.query(
        "query($id: ID!) { node(id: $id) { id ... on Patient { email } } }",
        as_=two.as_me,
        id=node_id(two.other),
    )
    own = await api.query(
        "query($id: ID!) { appointment(id: $id) { id } }", as_=two.as_me, id=node_id(two.mine[0])
    )
    assert by_id["data"] == {"appointment": None}
    assert by_node["data"] == {"node": None}
    assert patient_node["data"] == {"node": None}
    assert own["data"] == {"appointment": {"id": node_id(two.mine[0])}}


async def test_nested_connections_are_scoped_to_the_viewer_too(api: Api) -> None:
    two = await two_patients(api)
    through_psychologist = await api.query(
        "query($id: ID!) { psychologist(id: $id) { appointments(first: 100) "
        "{ nodes { patient { email } } } } }",
        as_=two.as_me,
        id=node_id(two.shared),
    )
    emails = [
        n["patient"]["email"]
        for n in through_psychologist["data"]["psychologist"]["appointments"]["nodes"]
    ]
    assert emails == [two.me.email] * len(two.mine)

    own = await api.query(
        "query($id: ID!, $other: ID) { node(id: $id) { ... on Patient { appointments("
        "first: 100, filter: {patientId: $other}) { totalCount } } } }",
        as_=two.as_me,
        id=node_id(two.me),
        other=node_id(two.other),
    )
    assert own["data"]["node"]["appointments"]["totalCount"] == 0


async def test_a_psychologist_sees_only_their_own_schedule(api: Api) -> None:
    two = await two_patients(api)
    assert two.theirs_only.subject is not None
    body = await api.query(
        "{ viewer { psychologist { id } } appointments(first: 100) { totalCount nodes { id psychologist { id } } } }",
        as_=("psychologist", two.theirs_only.subject),
    )
    assert body["data"]["viewer"]["psychologist"]["id"] == node_id(two.theirs_only)
    nodes = body["data"]["appointments"]["nodes"]
    own = {node_id(a) for a in two.theirs if a.psychologist_id == two.theirs_only.id}
    assert {n["id"] for n in nodes} == own
    assert {n["psychologist"]["id"] for n in nodes} == {node_id(two.theirs_only)}
    assert body["data"]["appointments"]["totalCount"] == len(own)


async def test_the_viewer_names_the_caller_and_their_profile(api: Api) -> None:
    two = await two_patients(api)
    body = await api.query(
        "{ viewer { subject role patient { email } psychologist { id } } }", as_=two.as_me
    )
    assert body["data"]["viewer"] == {
        "subject": two.me.subject,
        "role": "PATIENT",
        "patient": {"email": two.me.email},
        "psychologist": None,
    }


async def test_an_appointment_shows_its_history_oldest_first(api: Api) -> None:
    psychologist, patient = await api.world.psychologist(), await api.world.patient()
    past = [hours_from(api.now, -24 * day) for day in (2, 3)]
    await api.world.appointments(psychologist, patient, past, AppointmentStatus.COMPLETED)
    body = await api.query(
        "{ appointments(first: 50, filter: {status: [COMPLETED]}) "
        "{ nodes { status history { version status previousStatus } } } }"
    )
    nodes = body["data"]["appointments"]["nodes"]
    assert len(nodes) == 2
    for node in nodes:
        assert [e["status"] for e in node["history"]] == ["PENDING", "CONFIRMED", "COMPLETED"]
        assert [e["version"] for e in node["history"]] == [1, 2, 3]
        assert [e["previousStatus"] for e in node["history"]] == [None, "PENDING", "CONFIRMED"]


async def test_psychologists_filter_by_specialty_activity_and_name(api: Api) -> None:
    await api.world.psychologist(name="Dr. Ana Quintela", specialties=("grief", "anxiety"))
    await api.world.psychologist(name="Dr. Bruno Quinta", specialties=("couples",))
    await api.world.psychologist(name="Dr. Carla Souza", specialties=("anxiety",), active=False)

    def names(body: dict[str, Any]) -> list[str]:
        return sorted(n["name"] for n in body["data"]["psychologists"]["nodes"])

    by_specialty = await api.query(
        "query($s: String) { psychologists(filter: {specialty: $s}) { nodes { name } } }",
        s="anxiety",
    )
    inactive = await api.query("{ psychologists(filter: {active: false}) { nodes { name } } }")
    by_name = await api.query(
        "query($n: String) { psychologists(filter: {nameContains: $n}) { nodes { name } } }",
        n="QUINT",
    )
    assert names(by_specialty) == ["Dr. Ana Quintela", "Dr. Carla Souza"]
    assert names(inactive) == ["Dr. Carla Souza"]
    assert names(by_name) == ["Dr. Ana Quintela", "Dr. Bruno Quinta"]


async def test_available_slots_avoid_booked_sessions_and_the_notice_window(api: Api) -> None:
    # Office hours in UTC (9-12, 13-18 on weekdays); the app's clock says Monday noon.
    assert (api.now.weekday(), api.now.hour) == (0, 12)
    psychologist, patient = await api.world.psychologist(time_zone="UTC"), await api.world.patient()
    wednesday = api.now.replace(hour=0) + timedelta(days=2)
    taken = {
        AppointmentStatus.CONFIRMED: wednesday.replace(hour=10),
        AppointmentStatus.PENDING: wednesday.replace(hour=14),
        AppointmentStatus.CANCELLED: wednesday.replace(hour=11),
    }
    for status, start in taken.items():
        await api.world.appointments(psychologist, patient, [start], status)

    body = await api.query(
        """query($id: ID!, $from: DateTime!, $to: DateTime!) { psychologist(id: $id) {
            availableSlots(from: $from, to: $to) { startsAt endsAt } } }""",
        id=node_id(psychologist),
        **{"from": api.now.isoformat(), "to": (api.now + timedelta(days=3)).isoformat()},
    )
    slots = [
        (datetime.fromisoformat(slot["startsAt"]), datetime.fromisoformat(slot["endsAt"]))
        for slot in body["data"]["psychologist"]["availableSlots"]
    ]
    busy = [
        (start, start + timedelta(minutes=psychologist.default_duration_minutes))
        for status, start in taken.items()
        if status is not AppointmentStatus.CANCELLED
    ]
    # The notice (24 h) ends on Tuesday noon, the lunch break: Tuesday 13:00 comes first.
    assert slots[0][0] == api.now + timedelta(hours=25)
    assert all(end <= b_start or b_end <= start for start, end in slots for b_start, b_end in busy)
    starts = {start for start, _ in slots}
    assert taken[AppointmentStatus.CANCELLED] in starts
    assert taken[AppointmentStatus.CONFIRMED] not in starts
    assert taken[AppointmentStatus.PENDING] not in starts


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer not.a.jwt", "Basic abc", "Bearer " + "x" * 10_000],
)
async def test_requests_without_a_valid_token_are_unauthenticated(
    api: Api, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await api.client.post(
        "/graphql", json={"query": "{ viewer { subject } }"}, headers=headers
    )
    assert response.status_code == 200
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    "claims_change",
    [
        {"exp": -60},
        {"nbf": 3600},
        {"role": "superuser"},
        {"aud": "someone-else"},
    ],
)
async def test_expired_early_wrongly_scoped_tokens_are_unauthenticated(
    api: Api, claims_change: dict[str, Any]
) -> None:
    import jwt

    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {"sub": "admin-1", "role": "admin", "iat": now, "exp": now + 600}
    for name, value in claims_change.items():
        claims[name] = now + value if isinstance(value, int) else value
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    response = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_token_signed_with_another_secret_or_alg_none_is_unauthenticated(api: Api) -> None:
    import base64
    import json

    import jwt

    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "admin-1", "role": "admin", "iat": now, "exp": now + 600}
    forged = jwt.encode(claims, "another-secret-0123456789abcdef0123", algorithm="HS256")

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    for token in (forged, unsigned):
        response = await api.client.post(
            "/graphql",
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_introspection_works_without_a_token_for_graphiql(api: Api) -> None:
    body = await api.query("{ __schema { queryType { name } } }", as_=None)
    assert "errors" not in body
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
