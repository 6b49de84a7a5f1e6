"""What an operator sees of a running stack: readiness of each dependency, metrics, and one
request followed by its id from the HTTP call through the relay and the worker to the
subscription. Real processes: an API replica and a worker on PostgreSQL, Redis and moto."""

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from subscription_stack import StackServices, SubscriptionStack

from live_client import live_client
from support.postgres import PostgresAdmin
from support.processes import run_coroutine, wait_until
from support.services import RedisServer, SqsServer
from world import node_id, world_in

ADMIN = ("admin", "admin-1")
DEADLINE_SECONDS = 60.0
STATUS = """
subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status version requestId } }"""
SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) { startsAt }
  }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id } requestId userErrors { code } }
}"""


@pytest.fixture(autouse=True)
def processes_output_on_failure(
    request: pytest.FixtureRequest, system: tuple[SubscriptionStack, str]
) -> Iterator[None]:
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(system[0].report())


@pytest.fixture(scope="module")
def system(stack_services: StackServices) -> Iterator[tuple[SubscriptionStack, str]]:
    """One replica and one worker; the name of their database, which a test takes down."""
    with stack_services.running("ops", replicas=1) as made:
        yield made


def readiness(stack: SubscriptionStack) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{stack.replicas[0].http_url}/readyz", timeout=30)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def wait_for_checks(stack: SubscriptionStack, wanted: dict[str, str]) -> None:
    def reached() -> bool:
        return readiness(stack)[1]["checks"] == wanted

    wait_until(reached, what=f"/readyz to report {wanted}", timeout=DEADLINE_SECONDS)


ALL_OK = {"database": "ok", "redis": "ok", "sqs": "ok"}


def test_readiness_names_each_dependency_going_down_and_coming_back(
    system: tuple[SubscriptionStack, str],
    redis_server: RedisServer,
    sqs_server: SqsServer,
    postgres_admin: PostgresAdmin,
) -> None:
    stack, database = system
    assert readiness(stack) == (200, {"status": "ready", "checks": ALL_OK})

    with redis_server.stopped():
        wait_for_checks(stack, {**ALL_OK, "redis": "down"})
        assert readiness(stack)[0] == 503
    wait_for_checks(stack, ALL_OK)

    with sqs_server.stopped():
        wait_for_checks(stack, {**ALL_OK, "sqs": "down"})
    # moto keeps its queues in memory: an operator creates them again after a restart.
    run_coroutine(lambda: recreate_queues(stack))
    wait_for_checks(stack, ALL_OK)

    postgres_admin.execute(
        f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608 - our own name
        f"WHERE datname = '{database}'",
    )
    try:
        wait_for_checks(stack, {**ALL_OK, "database": "down"})
    finally:
        postgres_admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    # Each check has 2 s: on a busy machine one may miss it now and then, so wait for the
    # answer rather than take the first one.
    wait_until(
        lambda: readiness(stack) == (200, {"status": "ready", "checks": ALL_OK}),
        what="/readyz to answer 200 with every check ok",
        timeout=DEADLINE_SECONDS,
    )


async def recreate_queues(stack: SubscriptionStack) -> None:
    from infra.queue.sqs_admin import create_queues
    from infra.queue.sqs_client import SqsEndpoint, sqs_client

    endpoint = SqsEndpoint(region=stack.sqs.region, endpoint_url=stack.sqs.endpoint_url)
    queue_name = stack.queue_url.rsplit("/", 1)[1]
    dead_letter_name = stack.dead_letter_url.rsplit("/", 1)[1]
    async with sqs_client(endpoint) as client:
        await create_queues(client, queue_name, dead_letter_name)


async def graphql(
    stack: SubscriptionStack,
    who: tuple[str, str],
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.replicas[0].http_url, timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {stack.token(*who)}", **(headers or {})},
        )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def a_free_slot(stack: SubscriptionStack) -> tuple[tuple[str, str], str, str]:
    """A new patient (as a viewer), a new psychologist's ID and a start they could book."""
    # The processes run on the wall clock: so does the data.
    now = datetime.now(UTC)
    async with world_in(stack.database_url, now=now) as world:
        psychologist, patient = node_id(await world.psychologist()), await world.patient()
    assert patient.subject is not None
    slots = await graphql(
        stack,
        ADMIN,
        SLOTS,
        id=psychologist,
        **{
            "from": (now + timedelta(days=3)).isoformat(),
            "to": (now + timedelta(days=30)).isoformat(),
        },
    )
    start: str = slots["psychologist"]["availableSlots"][-1]["startsAt"]
    return ("patient", patient.subject), psychologist, start


def log_lines_with(text: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON log lines carrying the request id."""
    found = []
    for line in text.splitlines():
        if request_id not in line:
            continue
        record = json.loads(line)
        if record.get("request_id") == request_id:
            found.append(record)
    return found


async def test_one_request_id_is_followed_from_http_through_relay_and_worker_to_the_event(
    system: tuple[SubscriptionStack, str],
) -> None:
    stack, _ = system
    request_id = f"trace-{uuid.uuid4()}"
    patient, psychologist, start = await a_free_slot(stack)

    requested = await graphql(
        stack,
        patient,
        REQUEST,
        headers={"X-Request-ID": request_id},
        input={"psychologistId": psychologist, "scheduledAt": start, "durationMinutes": 50},
    )
    payload = requested["requestAppointment"]
    assert payload["userErrors"] == []
    assert payload["requestId"] == request_id

    async with (
        live_client(stack.replicas[0].ws_url, token=stack.token(*patient)) as client,
        asyncio.timeout(DEADLINE_SECONDS),
    ):
        follow = await client.subscribe(STATUS, id=payload["appointment"]["id"])
        event = (await follow.next_data())["appointmentStatus"]
        while event["status"] == "PENDING":
            event = (await follow.next_data())["appointmentStatus"]
    assert (event["status"], event["requestId"]) == ("CONFIRMED", request_id)

    api_lines = log_lines_with(stack.replicas[0].process.output(), request_id)
    assert any(line["logger"] == "uvicorn.access" for line in api_lines), api_lines
    [worker] = stack.workers
    worker_loggers = {line["logger"] for line in log_lines_with(worker.output(), request_id)}
    assert {"appointment_api.relay", "appointment_api.decisions"} <= worker_loggers, worker_loggers


def metric(text: str, name: str, matches: Callable[[str], bool] = lambda _: True) -> float:
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and matches(line)
    ]
    assert values, f"{name} not in the exposition"
    return sum(values)


async def test_metrics_count_operations_by_name_and_show_the_outbox_and_websockets(
    system: tuple[SubscriptionStack, str],
) -> None:
    stack, _ = system
    url = f"{stack.replicas[0].http_url}/metrics"
    await graphql(stack, ADMIN, "query OperatorProbe { viewer { role } }")

    async with httpx.AsyncClient(timeout=30) as http:
        async with live_client(stack.replicas[0].ws_url, token=stack.token(*ADMIN)):
            during = (await http.get(url)).text
        after = (await http.get(url)).text

    probes = metric(during, "graphql_requests_total", lambda line: "OperatorProbe" in line)
    assert probes == 1
    assert metric(during, "websocket_connections") == 1
    assert metric(after, "outbox_undispatched") == 0
    assert metric(after, "outbox_lag_seconds") == 0
