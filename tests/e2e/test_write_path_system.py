"""The write path as separate real processes: `appointment-api serve` and `appointment-api
worker` on PostgreSQL and moto's SQS server, driven over HTTP and checked in the database.
"""

import asyncio
import signal
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booking import (
    DECIDED_WITHIN_SECONDS,
    REQUEST,
    all_decided,
    free_slots,
    holding_messages,
    item,
    no_errors_logged,
    one_decision_each,
    request_as_new_patients,
    schedules_locked,
    served,
)
from sqlalchemy import text
from stack import Database, Stack, appointment_uuid, eventually

from infra.queue.depths import QueueDepth
from resolvers.node_ids import to_global_id
from support.services import SqsServer

MAX_RECEIVES = 2  # small, so a poison message reaches the dead-letter queue quickly
BATCH = """
mutation($input: RequestAppointmentsInput!) {
  requestAppointments(input: $input) {
    acceptedCount failedCount
    results { index appointment { id status } userErrors { field code } }
  }
}"""
HISTORY = """
query($id: ID!) {
  appointment(id: $id) { status rejectionReason history { version status rejectionReason } }
}"""


def stack_patient(stack: Stack) -> str:
    """The subject of the patient the stack's database holds."""
    [patient] = stack.patients
    assert patient.subject is not None
    return patient.subject


# --- concurrency -------------------------------------------------------------------------


async def test_fifty_concurrent_requests_for_one_slot_confirm_exactly_one(
    stack: Stack, database: Database
) -> None:
    async with served(stack) as api:
        [slot, *_] = await free_slots(api, stack, duration=60)
        # Every start within 10 minutes of the others and 45 minutes long: each pair overlaps.
        starts = [slot.starts_at + timedelta(minutes=n % 10) for n in range(50)]
        ids = await request_as_new_patients(
            api, stack, [item(slot, at=start, duration=45) for start in starts], "racer"
        )

        # All 50 are PENDING before any worker runs, so each one is decided by a worker
        # (none is refused at once because another was confirmed first).
        stack.start_workers(2)
        await all_decided(database, ids)

        statuses = await database.statuses(ids)
        assert Counter(statuses.values()) == {
            ("CONFIRMED", None): 1,
            ("REJECTED", "SLOT_TAKEN"): 49,
        }
        one_decision_each(await database.history(ids), statuses)
        confirmed = await api.call(
            "query($p: ID!, $from: DateTime!, $to: DateTime!) { appointments(filter: "
            "{psychologistId: $p, status: [CONFIRMED], scheduledFrom: $from, scheduledTo: $to}) "
            "{ totalCount } }",
            stack.token("admin", "admin-1"),
            p=slot.psychologist_id,
            **{
                "from": slot.starts_at.isoformat(),
                "to": (slot.starts_at + timedelta(minutes=10)).isoformat(),
            },
        )
        assert confirmed["appointments"]["totalCount"] == 1
    no_errors_logged(stack)
    # SIGTERM: stop receiving, finish what is in hand, exit 0.
    assert [worker.terminate() for worker in stack.workers] == [0, 0]


# --- a worker stopped while it holds messages --------------------------------------------


async def test_messages_held_by_a_killed_worker_are_decided_once_by_another(
    stack: Stack, database: Database
) -> None:
    async with served(stack) as api:
        slots = (await free_slots(api, stack, per_psychologist=3))[:6]
        ids = await request_as_new_patients(api, stack, [item(s) for s in slots], "held")

        async with schedules_locked(database, slots):
            [doomed] = stack.start_workers(1, SQS_VISIBILITY_TIMEOUT="3")
            held = await holding_messages(stack, database)
            assert doomed.kill() == -signal.SIGKILL

        # Nothing the killed worker did was committed.
        assert sorted(await database.still_pending(ids)) == sorted(ids), held
        # Another worker receives them once the killed one's visibility timeout is over.
        stack.start_workers(1)
        await all_decided(database, ids)

        statuses = await database.statuses(ids)
        assert set(statuses.values()) == {("CONFIRMED", None)}
        one_decision_each(await database.history(ids), statuses)
        admin = stack.token("admin", "admin-1")
        for appointment_id in ids:
            found = await api.call(
                HISTORY, admin, id=to_global_id("Appointment", uuid.UUID(appointment_id))
            )
            assert [(e["version"], e["status"]) for e in found["appointment"]["history"]] == [
                (1, "PENDING"),
                (2, "CONFIRMED"),
            ]


async def test_a_worker_told_to_stop_finishes_the_messages_it_holds_and_exits_0(
    stack: Stack, database: Database
) -> None:
    async with served(stack) as api:
        slots = (await free_slots(api, stack, per_psychologist=2))[:4]
        ids = await request_as_new_patients(api, stack, [item(s) for s in slots], "stopping")

    async with schedules_locked(database, slots):
        [worker] = stack.start_workers(1)
        await holding_messages(stack, database)
        worker.send_signal(signal.SIGTERM)
    # Once the decision in hand can go on, it finishes every message it received and exits 0:
    # those are decided and deleted, the others still wait in the queue.
    assert worker.wait(timeout=30) == 0
    statuses = await database.statuses(ids)
    decided = [i for i in ids if statuses[i][0] != "PENDING"]
    assert decided, statuses
    assert all(statuses[i] == ("CONFIRMED", None) for i in decided)
    queue, _ = await stack.depths()
    [notices] = await database.rows(
        "SELECT count(*) AS n FROM outbox "
        "WHERE topic = 'appointment.changed' AND dispatched_at IS NOT NULL"
    )
    undecided = len(ids) - len(decided)
    assert queue.in_flight == 0
    # Beside the undecided requests, the notices of changes the worker did not hand on yet.
    assert undecided <= queue.visible <= undecided + notices["n"]


# The requests' outbox rows, beside the notices of changes.
REQUESTS_QUEUED = "SELECT count(*) AS n FROM outbox WHERE topic = 'appointment.requested'"


# --- SQS down ----------------------------------------------------------------------------


async def test_requests_made_while_sqs_is_down_are_all_decided_after_it_returns(
    stack: Stack, database: Database, sqs_server: SqsServer
) -> None:
    async with served(stack) as api:
        slots = (await free_slots(api, stack, per_psychologist=2))[:6]
        stack.start_workers(1)
        with sqs_server.stopped():
            ids = await request_as_new_patients(api, stack, [item(s) for s in slots], "outage")
            # A worker also starts while SQS is away, and waits for it.
            stack.start_workers(1)
            # The relay tried each row and failed: the requests wait in the outbox.
            await eventually(
                lambda: _outbox(database),
                what="every outbox row tried and still undispatched",
                within=30,
                done=lambda rows: (
                    len(rows) == len(ids)
                    and all(r["attempts"] >= 1 and r["dispatched_at"] is None for r in rows)
                ),
            )
            assert sorted(await database.still_pending(ids)) == sorted(ids)
        # moto keeps its queues in memory, so the restarted server has none: the operator
        # recreates them with the same names (and so the same URLs) the processes use.
        created = stack.cli("queues", "create")
        assert stack.queue_url in created
        assert stack.dead_letter_url in created

        await all_decided(database, ids)
        statuses = await database.statuses(ids)
        assert set(statuses.values()) == {("CONFIRMED", None)}
        one_decision_each(await database.history(ids), statuses)
        assert all(row["dispatched_at"] is not None for row in await _outbox(database))
        assert all(worker.alive for worker in stack.workers)
        assert len(stack.workers) == 2


async def _archived_and_queues(
    stack: Stack, database: Database
) -> tuple[list[dict[str, Any]], QueueDepth, QueueDepth]:
    archive = await database.rows(
        "SELECT appointment_id::text AS appointment_id, reason FROM dead_letters ORDER BY id"
    )
    return (archive, *await stack.depths())


async def _outbox(database: Database) -> list[dict[str, Any]]:
    """The requests' outbox rows (each change also leaves a notice there, its own topic)."""
    return await database.rows(
        "SELECT id, attempts, dispatched_at FROM outbox "
        "WHERE topic = 'appointment.requested' ORDER BY id"
    )


# --- dead letters ------------------------------------------------------------------------


async def test_a_poison_message_is_dead_lettered_and_its_request_rejected_processing_failed(
    stack: Stack, database: Database
) -> None:
    max_receives = str(MAX_RECEIVES)
    # The operator lowers maxReceiveCount on the existing queue.
    stack.cli("queues", "create", SQS_MAX_RECEIVE_COUNT=max_receives)
    async with served(stack) as api:
        broken, healthy, other = (await free_slots(api, stack, per_psychologist=1))[:3]
        doomed_id, fine_id = await request_as_new_patients(
            api, stack, [item(broken), item(healthy)], "poison"
        )
        # A schedule record the worker cannot read: every decision for it fails.
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE psychologists SET working_hours = "
                    '\'[{"weekday": "FUNDAY", "start": "09:00", "end": "17:00"}]\' '
                    "WHERE id::text = :id"
                ),
                {"id": broken.psychologist_uuid},
            )
        # And a message no worker can read, in a real group.
        await stack.send_raw("{not json", group=other.psychologist_uuid, deduplication_id="garbage")

        [worker] = stack.start_workers(1, SQS_MAX_RECEIVE_COUNT=max_receives)
        await all_decided(database, [doomed_id, fine_id])
        # Both dead-lettered, then archived by the worker and deleted from the DLQ.
        archive, _, _ = await eventually(
            lambda: _archived_and_queues(stack, database),
            what="both poison messages archived and both queues empty",
            within=DECIDED_WITHIN_SECONDS,
            done=lambda seen: (
                len(seen[0]) == 2 and seen[1] == seen[2] == QueueDepth(visible=0, in_flight=0)
            ),
        )
        assert sorted((row["appointment_id"] or "-", row["reason"][:11]) for row in archive) == (
            sorted([(doomed_id, "retries exh"), ("-", "unreadable:")])
        )

        statuses = await database.statuses([doomed_id, fine_id])
        assert statuses == {
            doomed_id: ("REJECTED", "PROCESSING_FAILED"),
            fine_id: ("CONFIRMED", None),
        }
        one_decision_each(await database.history([doomed_id, fine_id]), statuses)
        found = await api.call(
            HISTORY,
            stack.token("admin", "admin-1"),
            id=to_global_id("Appointment", uuid.UUID(doomed_id)),
        )
        assert found["appointment"]["rejectionReason"] == "PROCESSING_FAILED"
    # Each poison message was tried exactly maxReceiveCount times, and the worker lived on.
    attempts = list(range(1, MAX_RECEIVES + 1))
    assert [r["receive_count"] for r in worker.logged("decision failed")] == attempts
    assert [r["receive_count"] for r in worker.logged("unreadable message")] == attempts
    assert worker.alive


# --- over HTTP: batches and idempotency --------------------------------------------------


async def test_a_batch_of_100_with_10_invalid_items_accepts_90_and_points_at_each_error(
    stack: Stack, database: Database
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with served(stack) as api:
        slots = await free_slots(api, stack)
        assert len(slots) >= 90
        first = slots[0]
        local_night = (
            (now + timedelta(days=3))
            .astimezone(ZoneInfo(first.time_zone))
            .replace(hour=3, minute=0, second=0, microsecond=0)
        )
        unknown = to_global_id("Psychologist", uuid.uuid4())
        invalid: dict[int, tuple[dict[str, Any], list[str], str]] = {
            3: (item(first, duration=5), ["durationMinutes"], "INVALID_INPUT"),
            11: (item(first, notes="n" * 2001), ["notes"], "INVALID_INPUT"),
            19: (
                item(first, at=first.starts_at + timedelta(seconds=30)),
                ["scheduledAt"],
                "INVALID_INPUT",
            ),
            27: (item(first, at=now + timedelta(hours=5)), ["scheduledAt"], "TOO_SOON"),
            35: (item(first, at=now + timedelta(days=200)), ["scheduledAt"], "TOO_FAR_AHEAD"),
            43: (item(first, at=local_night), ["scheduledAt"], "OUTSIDE_WORKING_HOURS"),
            51: ({**item(first), "psychologistId": unknown}, ["psychologistId"], "NOT_FOUND"),
            59: (
                item(first, patient={"name": "Ana", "email": "no-at-sign"}),
                ["patient", "email"],
                "INVALID_INPUT",
            ),
            67: (
                item(first, patient={"name": "Ana", "email": "ana@mail.example", "phone": "12345"}),
                ["patient", "phone"],
                "INVALID_INPUT",
            ),
            99: (
                item(first, patient={"name": "", "email": "ana@mail.example"}),
                ["patient", "name"],
                "INVALID_INPUT",
            ),
        }
        valid = iter(slots)
        items = [invalid[i][0] if i in invalid else item(next(valid)) for i in range(100)]
        [before] = await database.rows(REQUESTS_QUEUED)

        data = await api.call(
            BATCH, stack.token("patient", stack_patient(stack)), input={"appointments": items}
        )

    payload = data["requestAppointments"]
    assert (payload["acceptedCount"], payload["failedCount"]) == (90, 10)
    results = payload["results"]
    assert [r["index"] for r in results] == list(range(100))
    for index, result in enumerate(results):
        if index not in invalid:
            assert result["userErrors"] == [], index
            assert result["appointment"]["status"] == "PENDING", index
            continue
        _, field, code = invalid[index]
        prefix = ["input", "appointments", str(index)]
        assert result["appointment"] is None, index
        assert {"field": prefix + field, "code": code} in result["userErrors"], result
        assert all(e["field"][:3] == prefix for e in result["userErrors"]), result
    [after] = await database.rows(REQUESTS_QUEUED)
    assert after["n"] - before["n"] == 90
    stored = {appointment_uuid(r["appointment"]["id"]) for r in results if r["appointment"]}
    assert set(await database.statuses(sorted(stored))) == stored


async def test_the_same_request_twice_at_once_with_one_idempotency_key_makes_one_appointment(
    stack: Stack, database: Database
) -> None:
    async with served(stack) as api:
        slots = (await free_slots(api, stack))[:5]
        token = stack.token("patient", stack_patient(stack))
        keys = [f"twice-{uuid.uuid4().hex}" for _ in slots]
        calls = [
            api.call(REQUEST, token, input=item(slot, idempotencyKey=key))
            for slot, key in zip(slots, keys, strict=True)
            for _ in range(2)
        ]
        payloads = [d["requestAppointment"] for d in await asyncio.gather(*calls)]

    assert [p["userErrors"] for p in payloads] == [[]] * len(calls)
    ids = [p["appointment"]["id"] for p in payloads]
    assert [ids[i] == ids[i + 1] for i in range(0, len(ids), 2)] == [True] * len(keys)
    stored = await database.rows(
        "SELECT idempotency_key AS key, count(*) AS n FROM appointments "
        "WHERE idempotency_key = ANY(:keys) GROUP BY idempotency_key",
        keys=keys,
    )
    assert {row["key"]: row["n"] for row in stored} == dict.fromkeys(keys, 1)
    [queued] = await database.rows(REQUESTS_QUEUED)
    assert queued["n"] == len(keys)
