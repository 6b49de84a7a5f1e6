"""Dead letters as an operator sees them, with real processes: `appointment-api worker`
archives every dead letter and rejects its request, `dlq list` shows the archive and what
still waits in the dead-letter queue, `dlq redrive` queues letters again; the worker's
/metrics counts what became of each message."""

import json
import uuid
from typing import Any

import httpx
from booking import (
    DECIDED_WITHIN_SECONDS,
    all_decided,
    free_slots,
    item,
    request_as_new_patients,
    served,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from stack import Database, Stack, eventually

from infra.queue.sqs_queue import open_sqs
from support.processes import free_port
from worker.ports import OutgoingMessage

MAX_RECEIVES = 2
LETTER_GROUP = "psychologist-gone"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def put_in_dead_letter_queue(stack: Stack, *bodies: str) -> None:
    """Letters straight into the dead-letter queue, in one group, as SQS moves them there."""
    async with open_sqs(
        stack.dead_letter_url, stack.dead_letter_url, stack.endpoint(), max_receive_count=1
    ) as (dead_letters, _):
        await dead_letters.send_batch(
            [
                OutgoingMessage(deduplication_id=uuid.uuid4().hex, group=LETTER_GROUP, body=body)
                for body in bodies
            ]
        )


async def scrape(port: int) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    response.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def outcomes(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "worker_outcomes_total"
    }


async def archived(database: Database) -> list[dict[str, Any]]:
    return await database.rows(
        "SELECT message_id, message_group, appointment_id::text AS appointment_id, reason, "
        "redriven_at FROM dead_letters ORDER BY id"
    )


async def test_every_dead_letter_stays_in_view_and_can_be_sent_back(
    stack: Stack, database: Database
) -> None:
    max_receives = str(MAX_RECEIVES)
    stack.cli("queues", "create", SQS_MAX_RECEIVE_COUNT=max_receives)
    nobody = str(uuid.uuid4())
    readable = json.dumps({"topic": "appointment.requested", "appointment_id": nobody})
    # Two letters of one FIFO group, there before any worker runs.
    await put_in_dead_letter_queue(stack, readable, "{not json")

    before = stack.cli("dlq", "list")
    assert "0 of 0 archived dead letter(s) shown" in before
    assert "2 dead letter(s) in the dead-letter queue, not yet archived (2 shown" in before
    assert readable in before
    assert "{not json" in before
    _, dead_letters = await stack.depths()
    assert dead_letters.visible == 2, "listing took them out of view"

    async with served(stack) as api:
        broken, healthy = (await free_slots(api, stack, per_psychologist=1))[:2]
        doomed_id, fine_id = await request_as_new_patients(
            api, stack, [item(broken), item(healthy)], "letters"
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
    metrics_port = free_port()
    [worker] = stack.start_workers(
        1, SQS_MAX_RECEIVE_COUNT=max_receives, WORKER_METRICS_PORT=str(metrics_port)
    )

    await all_decided(database, [doomed_id, fine_id])
    rows = await eventually(
        lambda: archived(database),
        what="three dead letters archived",
        within=DECIDED_WITHIN_SECONDS,
        done=lambda found: len(found) == 3,
    )
    assert await database.statuses([doomed_id, fine_id]) == {
        doomed_id: ("REJECTED", "PROCESSING_FAILED"),
        fine_id: ("CONFIRMED", None),
    }
    # Both letters of the one group were archived: neither held the other back.
    by_appointment = {row["appointment_id"]: row for row in rows}
    assert set(by_appointment) == {nobody, None, doomed_id}
    assert by_appointment[None]["message_group"] == LETTER_GROUP
    assert by_appointment[None]["reason"].startswith("unreadable: ")
    assert by_appointment[nobody]["message_group"] == LETTER_GROUP
    assert by_appointment[doomed_id]["message_group"] == broken.psychologist_uuid
    await eventually(
        stack.depths,
        what="both queues empty",
        within=DECIDED_WITHIN_SECONDS,
        done=lambda depths: all(d.visible == d.in_flight == 0 for d in depths),
    )

    after = stack.cli("dlq", "list")
    assert "3 of 3 archived dead letter(s) shown, 3 not redriven" in after
    assert f"appointment={doomed_id} (REJECTED)" in after
    assert f"appointment={nobody} (-)" in after
    assert "0 dead letter(s) in the dead-letter queue, not yet archived" in after

    # No request is PENDING any more: a plain redrive has nothing to send back.
    assert "0 dead letter(s) queued again" in stack.cli("dlq", "redrive")
    everything = stack.cli("dlq", "redrive", "--all")
    assert "2 dead letter(s) queued again" in everything
    assert {line.split()[1] for line in everything.splitlines() if line.startswith("redriven")} == {
        row["message_id"] for row in rows if row["appointment_id"] is not None
    }

    # The worker decides what it is sent again: both acknowledged as already decided.
    samples = await eventually(
        lambda: scrape(metrics_port),
        what="the redriven letters acknowledged",
        within=DECIDED_WITHIN_SECONDS,
        done=lambda found: outcomes(found).get("already_decided") == 2,
    )
    decisions = {k: v for k, v in outcomes(samples).items() if k != "announced"}
    # Notices of changes are handed on beside the decisions, on their own schedule.
    assert decisions == {
        "confirmed": 1,
        "retried": 1,
        "rejected:PROCESSING_FAILED": 1,
        "dead_lettered": 3,
        "already_decided": 2,
    }
    # The two decisions, each timed from its request's creation.
    assert samples[("worker_decision_seconds_count", ())] == 2
    # The queue and dead-letter queue depths, measured while the worker runs.
    depth_gauges = {labels for name, labels in samples if name == "queue_messages"}
    assert len(depth_gauges) == 4, depth_gauges
    assert "1 not redriven" in stack.cli("dlq", "list")
    assert worker.alive
    assert worker.terminate() == 0
