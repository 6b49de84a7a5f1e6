"""Live status with real processes: two API replicas and a worker sharing PostgreSQL,
Redis and moto's SQS server; clients on websockets (Python, and the graphql-ws npm client).

One stack serves the whole module, on a database that starts empty; each test makes its
own psychologists, patients and appointments. The processes run on the wall clock, so
every request is for a slot the served API itself offers, and the appointments a test
writes itself lie two months ahead, away from the slots the tests book.
"""

import asyncio
import itertools
import json
import re
import signal
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from booking import ADMIN, REQUEST, as_, call, free_starts
from js_client import js_subscribe_script
from subscription_stack import Replica, SubscriptionStack

from domain.people import Patient, Psychologist
from live_client import PROTOCOLS, TRANSPORT_WS, LiveClient, Operation, live_client
from resolvers.event_cursors import decode_event_cursor, encode_event_cursor
from support.services import RedisServer
from world import World, hours_from, node_id

OPERATIONS = Path(__file__).parents[2] / "schema" / "subscriptions"
APPOINTMENT_STATUS = (OPERATIONS / "appointment_status.graphql").read_text()
APPOINTMENT_EVENTS = (OPERATIONS / "appointment_events.graphql").read_text()
SMALL_STATUS = """
subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status version } }"""

# Where the appointments a test writes itself start: past every slot the tests book.
PROBES_AFTER = timedelta(days=60)

CANCEL = """
mutation($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } userErrors { code } }
}"""
HISTORY = "query($id: ID!) { appointment(id: $id) { status history { version status cursor } } }"


# --- talking to the replicas -----------------------------------------------------------------


def replicas(system: SubscriptionStack) -> tuple[Replica, Replica]:
    """The module's two replicas (a test may start and stop more)."""
    first, second = system.replicas[:2]
    return first, second


async def pending(
    world: World, psychologist: Psychologist, patient: Patient, count: int = 1
) -> list[str]:
    """IDs of `count` PENDING appointments that are never queued, so they stay PENDING."""
    starts = [hours_from(world.now + PROBES_AFTER, hours) for hours in range(count)]
    made = await world.appointments(psychologist, patient, starts)
    return [node_id(appointment) for appointment in made]


async def request_appointments(
    replica: Replica,
    system: SubscriptionStack,
    psychologist: Psychologist,
    patients: Sequence[Patient],
    count: int,
) -> list[str]:
    """Book ``count`` free slots with the psychologist through ``replica``, the patients
    taking turns."""
    starts = await free_starts(replica, system, psychologist, days=30)
    assert len(starts) >= count
    ids = []
    booking = itertools.cycle(patients)
    for start in starts[:count]:
        item = {
            "psychologistId": node_id(psychologist),
            "scheduledAt": start,
            "durationMinutes": 50,
        }
        data = await call(replica, system, as_(next(booking)), REQUEST, input=item)
        payload = data["requestAppointment"]
        assert payload["userErrors"] == [], payload
        assert payload["appointment"]["status"] == "PENDING"
        ids.append(payload["appointment"]["id"])
    return ids


async def cancel(replica: Replica, system: SubscriptionStack, appointment_id: str) -> None:
    data = await call(replica, system, ADMIN, CANCEL, input={"appointmentId": appointment_id})
    assert data["cancelAppointment"]["userErrors"] == [], data


def connect(
    replica: Replica, system: SubscriptionStack, who: tuple[str, str], protocol: str = TRANSPORT_WS
) -> Any:
    return live_client(replica.ws_url, protocol=protocol, token=system.token(*who))


async def decided_in_the_database(
    replica: Replica, system: SubscriptionStack, appointment_ids: list[str]
) -> None:
    """Wait, reading the API, until none of them is PENDING (no live news to wait on)."""
    async with asyncio.timeout(60):
        for appointment_id in appointment_ids:
            while True:
                found = await call(replica, system, ADMIN, HISTORY, id=appointment_id)
                if found["appointment"]["status"] != "PENDING":
                    break
                await asyncio.sleep(0.2)


async def decision_of(operation: Operation) -> str:
    """The status after PENDING: the current state, or the next change if still PENDING."""
    [status] = await statuses(operation, 1)
    if status == "PENDING":
        [status] = await statuses(operation, 1, within=60)
    return status


async def statuses(operation: Operation, count: int, *, within: float = 30) -> list[str]:
    found = []
    for _ in range(count):
        data = await operation.next_data(within=within)
        found.append(next(iter(data.values()))["status"])
    return found


# --- across replicas -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_client_on_one_replica_sees_pending_then_confirmed_of_a_request_made_on_the_other(
    system: SubscriptionStack, world: World, protocol: str
) -> None:
    a, b = replicas(system)
    worker = system.workers[0]
    doctor, patient = await world.psychologist(), await world.patient()
    # The worker waits, frozen, until the subscription has seen PENDING: the order is then
    # certain, and the time still counts from the request.
    worker.pause()
    try:
        started = time.monotonic()
        [requested] = await request_appointments(b, system, doctor, [patient], 1)
        async with connect(a, system, as_(patient), protocol) as client:
            watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=requested)
            first = (await watching.next_data())["appointmentStatus"]
            assert (first["status"], first["version"]) == ("PENDING", 1)
            worker.resume()
            decision = (await watching.next_data())["appointmentStatus"]
            elapsed = time.monotonic() - started
    finally:
        worker.resume()
    assert (decision["status"], decision["previousStatus"], decision["version"]) == (
        "CONFIRMED",
        "PENDING",
        2,
    )
    assert decision["appointment"]["status"] == "CONFIRMED"
    # How soon is measured by the benchmarks (bench/live), not asserted here.
    print(f"CONFIRMED arrived {elapsed:.2f} s after the request")


async def test_the_graphql_ws_npm_client_sees_pending_then_confirmed(
    system: SubscriptionStack, world: World
) -> None:
    a, b = replicas(system)
    worker = system.workers[0]
    script = js_subscribe_script()
    doctor, patient = await world.psychologist(), await world.patient()
    worker.pause()
    try:
        [requested] = await request_appointments(b, system, doctor, [patient], 1)
        node = await asyncio.create_subprocess_exec(
            "node",
            str(script),
            a.ws_url,
            system.token(*as_(patient)),
            APPOINTMENT_STATUS,
            json.dumps({"appointmentId": requested}),
            "CONFIRMED,REJECTED",
            cwd=script.parent,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert node.stdout is not None
        async with asyncio.timeout(30):
            first_line = await node.stdout.readline()
            worker.resume()
            rest, errors = await node.communicate()
    finally:
        worker.resume()
    assert node.returncode == 0, (first_line, rest, errors)
    first, second = (json.loads(line) for line in [first_line, *rest.splitlines()])
    assert first["data"]["appointmentStatus"]["status"] == "PENDING"
    assert second["data"]["appointmentStatus"]["status"] == "CONFIRMED"
    assert second["data"]["appointmentStatus"]["version"] == 2


async def test_another_patient_is_refused_the_psychologist_and_an_admin_see_the_change(
    system: SubscriptionStack, world: World
) -> None:
    a, b = replicas(system)
    mine, other, third = await world.psychologists(3)
    patient, stranger_is = await world.patients(2)
    [own_probe] = await pending(world, mine, patient)
    [third_probe] = await pending(world, third, patient)
    [elsewhere] = await pending(world, other, patient)
    async with (
        connect(a, system, as_(stranger_is)) as stranger,
        connect(a, system, as_(mine)) as doctor,
        connect(b, system, ADMIN) as admin,
    ):
        schedule = await live_events(doctor, a, system, own_probe)
        # Another schedule's change as the admin's probe, not to show up on the doctor's.
        everything = await live_events(admin, b, system, third_probe)

        [requested] = await request_appointments(b, system, mine, [patient], 1)
        refused = await stranger.subscribe(APPOINTMENT_STATUS, appointmentId=requested)
        assert await refused.error_codes() == ["FORBIDDEN"]

        for feed in (schedule, everything):
            stored = (await feed.next_data(within=30))["appointmentEvents"]
            assert (stored["appointmentId"], stored["status"]) == (requested, "PENDING")
            decision = (await feed.next_data(within=30))["appointmentEvents"]
            assert (decision["appointmentId"], decision["version"]) == (requested, 2)

        await cancel(a, system, elsewhere)
        change = (await everything.next_data(within=30))["appointmentEvents"]
        assert (change["appointmentId"], change["status"]) == (elsewhere, "CANCELLED")


async def live_events(
    client: LiveClient,
    replica: Replica,
    system: SubscriptionStack,
    probe: str,
    **variables: Any,
) -> Operation:
    """appointmentEvents, known to be live once this returns.

    The feed sends nothing until something happens, so `probe` (a PENDING appointment the
    feed will see) is cancelled first, and the subscription asks for the history from just
    before that change: the change comes first, and it is only sent once the feed listens.
    """
    await cancel(replica, system, probe)
    history = (await call(replica, system, ADMIN, HISTORY, id=probe))["appointment"]["history"]
    before = encode_event_cursor(decode_event_cursor(history[-1]["cursor"]) - 1)
    feed = await client.subscribe(APPOINTMENT_EVENTS, after=before, **variables)
    first = (await feed.next_data(within=30))["appointmentEvents"]
    assert (first["appointmentId"], first["status"]) == (probe, "CANCELLED")
    return feed


async def test_a_client_resuming_with_its_cursor_on_the_other_replica_gets_exactly_the_missed_changes(
    system: SubscriptionStack, world: World
) -> None:
    a, b = replicas(system)
    doctor = await world.psychologist()
    patients = await world.patients(10)
    observer_probe, client_probe, before, after_resume = await pending(
        world, doctor, patients[0], 4
    )
    async with connect(a, system, ADMIN) as observer:
        decisions = await live_events(
            observer, a, system, observer_probe, psychologistId=node_id(doctor)
        )
        async with connect(a, system, as_(doctor)) as client:
            feed = await live_events(client, a, system, client_probe)
            await cancel(b, system, before)
            seen = (await feed.next_data(within=30))["appointmentEvents"]
            assert seen["appointmentId"] == before
        cursor = seen["cursor"]
        # The observer saw the other feed's probe and this change; it now counts decisions.
        for _ in range(2):
            earlier = (await decisions.next_data(within=30))["appointmentEvents"]
            assert earlier["status"] == "CANCELLED"
        assert earlier["appointmentId"] == before

        missed = await request_appointments(b, system, doctor, patients, 10)
        # Each request shows up live twice: stored (PENDING), then decided.
        changes = []
        for _ in range(2 * len(missed)):
            change = (await decisions.next_data(within=60))["appointmentEvents"]
            changes.append((change["appointmentId"], change["version"]))
        assert sorted(changes) == sorted((a, v) for a in missed for v in (1, 2))

    async with connect(b, system, as_(doctor)) as client:
        resumed = await client.subscribe(APPOINTMENT_EVENTS, after=cursor)
        replayed = [(await resumed.next_data())["appointmentEvents"] for _ in range(20)]
        assert sorted((e["appointmentId"], e["version"]) for e in replayed) == sorted(
            (appointment, version) for appointment in missed for version in (1, 2)
        )
        positions = [decode_event_cursor(event["cursor"]) for event in replayed]
        assert positions == sorted(positions)
        assert positions[0] > decode_event_cursor(cursor)

        await cancel(a, system, after_resume)
        live = (await resumed.next_data(within=30))["appointmentEvents"]
        assert (live["appointmentId"], live["status"]) == (after_resume, "CANCELLED")


# --- scale -----------------------------------------------------------------------------------


async def test_a_thousand_subscribers_on_one_replica_all_receive_one_event(
    system: SubscriptionStack, world: World
) -> None:
    a, b = replicas(system)
    [watched] = await pending(world, await world.psychologist(), await world.patient())
    token = system.token(*ADMIN)

    async def subscriber(stack: AsyncExitStack) -> Operation:
        client = await stack.enter_async_context(live_client(a.ws_url, token=token))
        operation = await client.subscribe(SMALL_STATUS, id=watched)
        assert (await operation.next_data(within=120))["appointmentStatus"]["status"] == "PENDING"
        return operation

    async with AsyncExitStack() as stack:
        subscribers: list[Operation] = []
        memory_before = a.process.resident_kib()
        for _ in range(10):  # in waves, so the handshakes do not all queue at once
            subscribers += await asyncio.gather(*(subscriber(stack) for _ in range(100)))
        assert len(subscribers) == 1000
        per_subscriber = (a.process.resident_kib() - memory_before) / len(subscribers)

        started = time.monotonic()
        await cancel(b, system, watched)
        received = await asyncio.gather(*(op.next_data(within=60) for op in subscribers))
        elapsed = time.monotonic() - started
    assert {data["appointmentStatus"]["status"] for data in received} == {"CANCELLED"}
    print(
        f"1000 subscribers: the last one received the event {elapsed:.3f} s after the cancel "
        f"was sent; the replica grew by {per_subscriber:.1f} KiB per subscriber"
    )


# --- failures --------------------------------------------------------------------------------


async def test_after_a_redis_restart_resubscribed_clients_get_new_events_and_nothing_is_lost(
    system: SubscriptionStack, world: World, redis_server: RedisServer
) -> None:
    a, b = replicas(system)
    doctor, third = await world.psychologists(2)
    patients = await world.patients(3)
    [watched] = await pending(world, doctor, patients[0])
    [probe] = await pending(world, third, patients[0])
    async with connect(a, system, ADMIN) as watcher, connect(b, system, ADMIN) as admin:
        status = await watcher.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        await status.next_data()
        events = await live_events(admin, b, system, probe)

        with redis_server.stopped():
            assert await status.error_codes(within=30) == ["LIVE_UPDATES_INTERRUPTED"]
            assert await events.error_codes(within=30) == ["LIVE_UPDATES_INTERRUPTED"]
            # Requests are accepted and decided meanwhile; only the live news is missed.
            during = await request_appointments(b, system, doctor, patients, 3)
            await decided_in_the_database(a, system, during)

        # Each client subscribes again and converges: the current state, then live changes.
        for appointment_id in during:
            follow = await watcher.subscribe(SMALL_STATUS, id=appointment_id)
            assert await decision_of(follow) in ("CONFIRMED", "REJECTED")
            await follow.stop()
        again = await watcher.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        assert (await again.next_data())["appointmentStatus"]["status"] == "PENDING"
        await cancel(b, system, watched)
        assert await statuses(again, 1) == ["CANCELLED"]

    for appointment_id in during:
        history = (await call(a, system, ADMIN, HISTORY, id=appointment_id))["appointment"]
        assert [step["version"] for step in history["history"]] == [1, 2]
        assert history["status"] in ("CONFIRMED", "REJECTED")
    worker_log = system.workers[0].output()
    assert "status event not published live" in worker_log


async def test_stopping_a_replica_closes_its_websockets_cleanly(
    system: SubscriptionStack, world: World
) -> None:
    [replica] = system.start_replicas(1)
    [watched] = await pending(world, await world.psychologist(), await world.patient())
    async with AsyncExitStack() as stack:
        clients = []
        for protocol in PROTOCOLS:
            client = await stack.enter_async_context(connect(replica, system, ADMIN, protocol))
            clients.append(client)
        for client in clients:
            operation = await client.subscribe(SMALL_STATUS, id=watched)
            assert (await operation.next_data())["appointmentStatus"]["status"] == "PENDING"

        stopping = asyncio.get_running_loop().run_in_executor(None, replica.process.terminate)
        closed = [await client.wait_closed(within=30) for client in clients]
        exit_code = await stopping
    assert [ending.code for ending in closed] == [1012, 1012]
    # uvicorn shuts down gracefully, then lets SIGTERM end the process as it would have.
    assert exit_code in (0, -signal.SIGTERM)
    output = replica.process.output()
    assert "Application shutdown complete." in output
    assert "Traceback" not in output
    assert not re.search(r"\bERROR\b", output), output[-3000:]
