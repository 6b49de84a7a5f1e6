"""The edge as a client meets it: the served app in production mode, over HTTP and websockets.

Every refusal comes with its ``extensions.code`` and costs no SQL statement; rate-limit
refusals answer 429 with ``Retry-After`` over HTTP and end the operation over websockets.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graphql_client import Api, codes, running_api
from live_client import live_client
from world import hours_from, node_id

SUBSCRIPTIONS = Path(__file__).parents[2] / "schema" / "subscriptions"
APPOINTMENT_STATUS = (SUBSCRIPTIONS / "appointment_status.graphql").read_text()
# Callers: the edge needs no row of theirs.
PATIENT_1 = ("patient", "caller-1")
PATIENT_2 = ("patient", "caller-2")
# The smallest budgets the settings accept with this maximum cost (500 / 100 = 5 points),
# over hour-long windows: a test that straddles the start of a window (they are aligned on
# the clock) still sees its earlier operations counted in full.
TIGHT = {
    "max_query_cost": 500,
    "rate_limit_queries": "5/hour",
    "rate_limit_mutations": "5/hour",
    "rate_limit_subscriptions": "5/hour",
}


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url, app_env="production") as api:
        api.statements.clear()
        yield api


async def post(api: Api, body: object, who: tuple[str, str] | None = PATIENT_1) -> Any:
    headers = {"Authorization": f"Bearer {api.token(*who)}"} if who else {}
    return await api.client.post("/graphql", json=body, headers=headers)


def deep(levels: int) -> str:
    opening = "viewer { patient { " + "appointments { nodes { patient { " * (levels // 3)
    return "{ " + opening + "name" + " }" * (2 + 3 * (levels // 3)) + " }"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (deep(50), "QUERY_TOO_DEEP"),
        ("{ " + " ".join(f"a{n}: __typename" for n in range(1000)) + " }", "TOO_MANY_TOKENS"),
        ("{ viewer " + "@include(if: true) " * 100 + "{ subject } }", "TOO_MANY_DIRECTIVES"),
        (
            "{ viewer { ...A } } fragment A on Viewer { subject ...B }"
            " fragment B on Viewer { role ...A }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ __schema { types { name } } }", "INTROSPECTION_DISABLED"),
        (
            "{ psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } } }",
            "QUERY_TOO_COSTLY",
        ),
        # The two operations that once held every pool connection for seconds.
        (
            "{ psychologists(first: 100) { nodes { "
            + " ".join(
                f'a{n}: availableSlots(from: "2030-03-05T00:00:00Z", to: "2030-04-05T00:00:00Z",'
                " stepMinutes: 5) { startsAt }"
                for n in range(29)
            )
            + " } } }",
            "QUERY_TOO_COSTLY",
        ),
        (
            "{ appointments(first: 100) { nodes { "
            + "history { appointment { " * 5
            + "id"
            + " } }" * 5
            + " } } }",
            "QUERY_TOO_COSTLY",
        ),
    ],
)
async def test_abusive_operations_are_refused_over_http_without_sql(
    production: Api, query: str, code: str
) -> None:
    response = await post(production, {"query": query})
    assert response.status_code == 200
    body = response.json()
    assert codes(body) == [code]
    assert "cost" in body["extensions"]
    assert production.statements == []


async def test_a_batch_of_100_operations_is_refused(production: Api) -> None:
    batch = [{"query": "{ viewer { subject } }"}] * 100
    response = await post(production, batch)
    assert response.status_code == 400
    assert codes(response.json()) == ["BATCHING_NOT_ALLOWED"]
    assert production.statements == []


async def test_a_1_mb_query_is_refused_before_it_is_read_whole(production: Api) -> None:
    response = await post(production, {"query": "{ viewer { subject } }" + " " * 1_000_000})
    assert response.status_code == 413
    assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert production.statements == []


async def test_suggestions_are_withheld_in_production(production: Api) -> None:
    body = (await post(production, {"query": "{ viewer { subjet } }"})).json()
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "Cannot query field 'subjet' on type 'Viewer'."


async def test_every_answer_reports_its_cost_and_budget(production: Api) -> None:
    body = (
        await post(production, {"query": "{ appointments(first: 10) { nodes { id } } }"})
    ).json()
    assert "errors" not in body
    cost = body["extensions"]["cost"]
    assert cost["requested"] == 11
    assert cost["charged"] == 1
    assert cost["remaining"] == cost["limit"] - 1


@pytest.fixture
async def tight(database_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url, listen=True, **TIGHT) as api:
        yield api


async def test_a_viewer_over_budget_gets_429_while_another_does_not(tight: Api) -> None:
    small = {"query": "{ viewer { subject } }"}
    for _ in range(5):
        assert (await post(tight, small)).status_code == 200
    tight.statements.clear()

    refused = await post(tight, small)

    assert refused.status_code == 429
    body = refused.json()
    assert codes(body) == ["RATE_LIMITED"]
    assert refused.headers["Retry-After"] == str(body["errors"][0]["extensions"]["retryAfter"])
    assert int(refused.headers["Retry-After"]) >= 1
    assert tight.statements == []
    assert (await post(tight, small, who=PATIENT_2)).status_code == 200
    # Each kind of operation has its own budget.
    mutation = {
        "query": "mutation($i: CancelAppointmentInput!) { cancelAppointment(input: $i) "
        "{ userErrors { code } } }",
        "variables": {"i": {"appointmentId": "QXBwb2ludG1lbnQ6bm9uZQ"}},
    }
    assert (await post(tight, mutation)).status_code == 200


async def test_anonymous_callers_are_counted_by_address(tight: Api) -> None:
    for _ in range(5):
        response = await post(tight, {"query": "{ __typename }"}, who=None)
        assert response.status_code == 200
    assert (await post(tight, {"query": "{ __typename }"}, who=None)).status_code == 429


async def test_a_new_subscription_over_budget_is_refused_with_the_same_code(tight: Api) -> None:
    patient = await tight.world.patient()
    assert patient.subject is not None
    [booked] = await tight.world.appointments(
        await tight.world.psychologist(), patient, [hours_from(tight.now, 72)]
    )
    appointment = node_id(booked)
    async with live_client(tight.ws_url, token=tight.token("patient", patient.subject)) as client:
        for _ in range(5):
            operation = await client.subscribe(APPOINTMENT_STATUS, appointmentId=appointment)
            await operation.next_data()
            await operation.stop()
        refused = await client.subscribe(APPOINTMENT_STATUS, appointmentId=appointment)
        assert await refused.error_codes() == ["RATE_LIMITED"]


async def test_every_answer_carries_the_security_headers_and_graphiql_keeps_its_policy(
    database_url: str,
) -> None:
    async with running_api(database_url, app_env="production", graphiql_enabled=True) as api:
        answer = await post(api, {"query": "{ viewer { role } }"})
        page = await api.client.get("/graphql", headers={"Accept": "text/html"})

    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "max-age=" in answer.headers["Strict-Transport-Security"]
    assert page.status_code == 200
    # The page's own policy lets its self-hosted scripts run; the API default would not.
    assert "script-src" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_cors_answers_only_the_allowed_origins(database_url: str) -> None:
    allowed = "https://app.clinic.example"
    async with running_api(database_url, cors_origins=[allowed]) as api:
        preflight = {"Access-Control-Request-Method": "POST"}
        welcome = await api.client.options("/graphql", headers={"Origin": allowed, **preflight})
        foreign = await api.client.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        answer = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": allowed}
        )

    assert welcome.status_code == 200
    assert welcome.headers["Access-Control-Allow-Origin"] == allowed
    assert foreign.status_code == 400
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert answer.headers["Access-Control-Allow-Origin"] == allowed
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]


async def test_a_flood_from_one_address_is_refused_before_the_request_is_read(
    database_url: str,
) -> None:
    async with running_api(
        database_url, rate_limit_requests_per_address="3/minute", trusted_proxies=["127.0.0.1"]
    ) as api:
        flooder = {"X-Forwarded-For": "203.0.113.7", "Content-Type": "application/json"}
        answers = [
            await api.client.post("/graphql", content=b"not json", headers=flooder)
            for _ in range(4)
        ]
        neighbour = await api.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"X-Forwarded-For": "203.0.113.8"},
        )

    assert [answer.status_code for answer in answers] == [400, 400, 400, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert neighbour.status_code == 200
