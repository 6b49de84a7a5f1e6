"""The GraphQL read API in process, over HTTP semantics, against PostgreSQL with demo data."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphql_client import SECRET, SEEDED_AT, Api, codes

PAGE = """
query Page($first: Int) {
  appointments(first: $first) {
    edges { cursor node { id scheduledAt status appointmentType
      patient { name email } psychologist { name } } }
  }
}
"""


async def test_a_page_with_patient_and_psychologist_costs_the_same_statements_at_any_size(
    api: Api,
) -> None:
    await api.query(PAGE, first=10)
    small = len(api.statements)
    api.statements.clear()

    body = await api.query(PAGE, first=100)

    assert len(body["data"]["appointments"]["edges"]) == 100
    assert len(api.statements) == small <= 3, api.statements


async def test_total_count_is_only_counted_when_selected(api: Api) -> None:
    await api.query("{ appointments(first: 5) { nodes { id } } }")
    assert not any("count(" in s.lower() for s in api.statements)
    body = await api.query("{ appointments(first: 5) { totalCount } }")
    assert body["data"]["appointments"]["totalCount"] == 200
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


async def _others(api: Api) -> dict[str, str]:
    """IDs the admin can see: patient-1's, and another patient's with one of their appointments."""
    nodes = (await api.query(ALL_WITH_PATIENTS))["data"]["appointments"]["nodes"]
    own = next(n for n in nodes if n["patient"]["email"] == "patient1@mail.example")
    other = next(n for n in nodes if n["patient"]["email"] != "patient1@mail.example")
    return {
        "own_patient": own["patient"]["id"],
        "own_appointment": own["id"],
        "other_patient": other["patient"]["id"],
        "other_appointment": other["id"],
        "other_psychologist": other["psychologist"]["id"],
    }


PATIENT_1 = ("patient", "patient-1")


async def test_a_patient_sees_only_their_own_appointments_in_the_list(api: Api) -> None:
    ids = await _others(api)
    mine = await api.query(ALL_WITH_PATIENTS, as_=PATIENT_1)
    emails = {n["patient"]["email"] for n in mine["data"]["appointments"]["nodes"]}
    assert emails == {"patient1@mail.example"}

    theirs = await api.query(
        "query($p: ID) { appointments(filter: {patientId: $p}) { totalCount nodes { id } } }",
        as_=PATIENT_1,
        p=ids["other_patient"],
    )
    assert theirs["data"]["appointments"] == {"totalCount": 0, "nodes": []}


async def test_a_patient_cannot_read_another_patients_appointment_by_id_or_node(api: Api) -> None:
    ids = await _others(api)
    by_id = await api.query(
        "query($id: ID!) { appointment(id: $id) { id } }",
        as_=PATIENT_1,
        id=ids["other_appointment"],
    )
    by_node = await api.query(
        "query($id: ID!) { node(id: $id) { id } }", as_=PATIENT_1, id=ids["other_appointment"]
    )
    patient_node = await api.query(
        "query($id: ID!) { node(id: $id) { id ... on Patient { email } } }",
        as_=PATIENT_1,
        id=ids["other_patient"],
    )
    assert by_id["data"] == {"appointment": None}
    assert by_node["data"] == {"node": None}
    assert patient_node["data"] == {"node": None}


async def test_nested_connections_are_scoped_to_the_viewer_too(api: Api) -> None:
    ids = await _others(api)
    through_psychologist = await api.query(
        "query($id: ID!) { psychologist(id: $id) { appointments(first: 100) "
        "{ nodes { patient { email } } } } }",
        as_=PATIENT_1,
        id=ids["other_psychologist"],
    )
    emails = {
        n["patient"]["email"]
        for n in through_psychologist["data"]["psychologist"]["appointments"]["nodes"]
    }
    assert emails <= {"patient1@mail.example"}

    own = await api.query(
        "query($id: ID!) { node(id: $id) { ... on Patient { appointments(first: 100, "
        "filter: {patientId: $other}) { totalCount } } } }".replace(
            "query($id: ID!)", "query($id: ID!, $other: ID)"
        ),
        as_=PATIENT_1,
        id=ids["own_patient"],
        other=ids["other_patient"],
    )
    assert own["data"]["node"]["appointments"]["totalCount"] == 0


async def test_a_psychologist_sees_only_their_own_schedule(api: Api) -> None:
    body = await api.query(
        "{ viewer { psychologist { id } } appointments(first: 100) { totalCount nodes { psychologist { id } } } }",
        as_=("psychologist", "psychologist-1"),
    )
    own_id = body["data"]["viewer"]["psychologist"]["id"]
    nodes = body["data"]["appointments"]["nodes"]
    assert nodes
    assert {n["psychologist"]["id"] for n in nodes} == {own_id}
    assert body["data"]["appointments"]["totalCount"] == len(nodes)


async def test_the_viewer_names_the_caller_and_their_profile(api: Api) -> None:
    body = await api.query(
        "{ viewer { subject role patient { email } psychologist { id } } }", as_=PATIENT_1
    )
    assert body["data"]["viewer"] == {
        "subject": "patient-1",
        "role": "PATIENT",
        "patient": {"email": "patient1@mail.example"},
        "psychologist": None,
    }


async def test_an_appointment_shows_its_history_oldest_first(api: Api) -> None:
    body = await api.query(
        "{ appointments(first: 50, filter: {status: [COMPLETED]}) "
        "{ nodes { status history { version status previousStatus } } } }"
    )
    for node in body["data"]["appointments"]["nodes"]:
        assert [e["status"] for e in node["history"]] == ["PENDING", "CONFIRMED", "COMPLETED"]
        assert [e["version"] for e in node["history"]] == [1, 2, 3]
        assert node["history"][0]["previousStatus"] is None


async def test_psychologists_filter_by_specialty_activity_and_name(api: Api) -> None:
    everyone = await api.query("{ psychologists { totalCount nodes { name specialties active } } }")
    nodes = everyone["data"]["psychologists"]["nodes"]
    specialty = nodes[0]["specialties"][0]
    fragment = nodes[0]["name"].split()[-1][1:4].upper()

    by_specialty = await api.query(
        "query($s: String) { psychologists(filter: {specialty: $s}) { nodes { specialties } } }",
        s=specialty,
    )
    inactive = await api.query("{ psychologists(filter: {active: false}) { nodes { active } } }")
    by_name = await api.query(
        "query($n: String) { psychologists(filter: {nameContains: $n}) { nodes { name } } }",
        n=fragment,
    )

    assert by_specialty["data"]["psychologists"]["nodes"]
    assert all(
        specialty in n["specialties"] for n in by_specialty["data"]["psychologists"]["nodes"]
    )
    assert len(by_specialty["data"]["psychologists"]["nodes"]) == sum(
        specialty in n["specialties"] for n in nodes
    )
    assert inactive["data"]["psychologists"]["nodes"] == [{"active": False}]
    assert by_name["data"]["psychologists"]["nodes"]
    assert all(
        fragment.lower() in n["name"].lower() for n in by_name["data"]["psychologists"]["nodes"]
    )


async def test_available_slots_avoid_booked_sessions_and_the_notice_window(api: Api) -> None:
    body = await api.query(
        """query($from: DateTime!, $to: DateTime!) { psychologists(first: 10, filter: {active: true}) {
            nodes { availableSlots(from: $from, to: $to) { startsAt endsAt }
                    appointments(first: 100, filter: {status: [PENDING, CONFIRMED]}) {
                      nodes { scheduledAt endsAt } } } } }""",
        **{"from": "2030-03-04T00:00:00Z", "to": "2030-03-20T00:00:00Z"},
    )
    notice_ends = SEEDED_AT + timedelta(hours=24)
    checked = 0
    for node in body["data"]["psychologists"]["nodes"]:
        busy = [
            (datetime.fromisoformat(a["scheduledAt"]), datetime.fromisoformat(a["endsAt"]))
            for a in node["appointments"]["nodes"]
        ]
        for slot in node["availableSlots"]:
            start, end = (
                datetime.fromisoformat(slot["startsAt"]),
                datetime.fromisoformat(slot["endsAt"]),
            )
            assert start >= notice_ends
            assert all(end <= b_start or b_end <= start for b_start, b_end in busy)
            checked += 1
    assert checked > 0


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
