"""A session's life with real processes: two API replicas and a worker sharing PostgreSQL,
Redis and moto's SQS server, clients on websockets. A new time is seen live as asked (the
session still at its old time) and then moved; a weekly series of ten is seen, session by
session, on appointmentEvents.

The processes run on the wall clock, so every time booked is one the served API offers.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from subscription_stack import Replica, SubscriptionStack, create_test_queues

from domain.people import Patient, Psychologist
from live_client import live_client
from support.postgres import PostgresAdmin
from support.processes import run_coroutine
from support.services import RedisServer, SqsServer
from world import World, node_id, world_in

ADMIN = ("admin", "admin-1")
SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) { startsAt }
  }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id status } userErrors { code message } }
}"""
RESCHEDULE = """
mutation($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { rescheduleTo } userErrors { code } }
}"""
SERIES = """
mutation($input: RequestAppointmentSeriesInput!) {
  requestAppointmentSeries(input: $input) {
    series { id occurrences { id } } results { userErrors { code message } } userErrors { code }
  }
}"""
STATUS = """
subscription($id: ID!) {
  appointmentStatus(appointmentId: $id) {
    status version kind scheduledAt previousScheduledAt actor { role }
    appointment { scheduledAt rescheduleTo }
  }
}"""
EVENTS = """
subscription($psychologistId: ID) {
  appointmentEvents(psychologistId: $psychologistId) { appointmentId status version kind }
}"""


@pytest.fixture(scope="module")
def system(
    postgres_admin: PostgresAdmin,
    migrated_template: str,
    redis_server: RedisServer,
    sqs_server: SqsServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SubscriptionStack]:
    name = PostgresAdmin.random_name("lifecycle")
    postgres_admin.create_database(name, template=migrated_template)
    queue_url, dead_letter_url = run_coroutine(lambda: create_test_queues(sqs_server))
    stack = SubscriptionStack(
        workdir=tmp_path_factory.mktemp("lifecycle-stack"),
        database_url=postgres_admin.url(name),
        redis_url=redis_server.url,
        sqs=sqs_server,
        queue_url=queue_url,
        dead_letter_url=dead_letter_url,
    )
    try:
        stack.start_replicas(2)
        stack.start_worker()
        yield stack
    finally:
        stack.stop()
        postgres_admin.drop_database(name)


@pytest.fixture
async def world(system: SubscriptionStack) -> AsyncIterator[World]:
    async with world_in(system.database_url, now=datetime.now(UTC)) as made:
        yield made


@pytest.fixture(autouse=True)
def processes_output_on_failure(
    request: pytest.FixtureRequest, system: SubscriptionStack
) -> Iterator[None]:
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(system.report())


async def call(
    replica: Replica, system: SubscriptionStack, who: tuple[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=replica.http_url, timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {system.token(*who)}"},
        )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def as_(person: Patient | Psychologist) -> tuple[str, str]:
    assert person.subject is not None
    return ("patient" if isinstance(person, Patient) else "psychologist", person.subject)


async def free_starts(
    replica: Replica, system: SubscriptionStack, psychologist: Psychologist
) -> list[str]:
    now = datetime.now(UTC)
    found = await call(
        replica,
        system,
        ADMIN,
        SLOTS,
        id=node_id(psychologist),
        **{
            "from": (now + timedelta(days=2)).isoformat(),
            "to": (now + timedelta(days=9)).isoformat(),
        },
    )
    return [slot["startsAt"] for slot in found["psychologist"]["availableSlots"]]


async def test_a_new_time_is_seen_live_as_asked_then_moved(
    system: SubscriptionStack, world: World
) -> None:
    a, b = system.replicas[:2]
    worker = system.workers[0]
    doctor, patient = await world.psychologist(), await world.patient()
    starts = await free_starts(a, system, doctor)
    booked = await call(
        b,
        system,
        as_(patient),
        REQUEST,
        input={"psychologistId": node_id(doctor), "scheduledAt": starts[0], "durationMinutes": 50},
    )
    ident = booked["requestAppointment"]["appointment"]["id"]

    async with live_client(a.ws_url, token=system.token(*as_(patient))) as client:
        watching = await client.subscribe(STATUS, id=ident)
        seen = [(await watching.next_data())["appointmentStatus"]]
        while seen[-1]["status"] == "PENDING":
            seen.append((await watching.next_data(within=60))["appointmentStatus"])
        assert seen[-1]["status"] == "CONFIRMED"
        worker.pause()
        try:
            asked = await call(
                b,
                system,
                as_(patient),
                RESCHEDULE,
                input={"appointmentId": ident, "scheduledAt": starts[-1]},
            )
            assert asked["rescheduleAppointment"]["userErrors"] == []
            waiting = (await watching.next_data())["appointmentStatus"]
            worker.resume()
            moved = (await watching.next_data(within=60))["appointmentStatus"]
        finally:
            worker.resume()

    new = datetime.fromisoformat(starts[-1])
    assert waiting["kind"] == "RESCHEDULE_REQUESTED"
    assert waiting["status"] == "CONFIRMED"
    assert datetime.fromisoformat(waiting["scheduledAt"]) == new
    assert waiting["actor"] == {"role": "PATIENT"}
    assert moved["kind"] == "RESCHEDULED"
    assert moved["version"] == waiting["version"] + 1
    assert datetime.fromisoformat(moved["previousScheduledAt"]) == datetime.fromisoformat(starts[0])
    assert datetime.fromisoformat(moved["appointment"]["scheduledAt"]) == new
    assert moved["appointment"]["rescheduleTo"] is None


async def test_a_weekly_series_of_ten_is_seen_session_by_session_on_appointment_events(
    system: SubscriptionStack, world: World
) -> None:
    a, b = system.replicas[:2]
    doctor, patient = await world.psychologist(), await world.patient()
    [first, *_] = await free_starts(a, system, doctor)

    async with live_client(a.ws_url, token=system.token(*as_(patient))) as client:
        events = await client.subscribe(EVENTS, psychologistId=node_id(doctor))
        answer = await call(
            b,
            system,
            as_(patient),
            SERIES,
            input={
                "psychologistId": node_id(doctor),
                "firstScheduledAt": first,
                "occurrences": 10,
                "frequency": "WEEKLY",
                "durationMinutes": 50,
                "idempotencyKey": f"series-{doctor.id}",
            },
        )
        made = answer["requestAppointmentSeries"]
        assert made["userErrors"] == [], made
        ids = {occurrence["id"] for occurrence in made["series"]["occurrences"]}
        assert len(ids) == 10
        latest: dict[str, str] = {}
        async with asyncio.timeout(90):
            while len(latest) < 10 or set(latest.values()) != {"CONFIRMED"}:
                event = (await events.next_data(within=60))["appointmentEvents"]
                latest[event["appointmentId"]] = event["status"]

    assert set(latest) == ids
