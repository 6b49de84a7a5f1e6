"""The outbox relay waits out a database outage and carries on; a mistake stops it."""

import asyncio

import pytest
from worker_fakes import DECIDED_AT, WAIT_SECONDS, ScriptedOutbox

from application.errors import DatabaseUnavailable
from infra.queue.memory_queue import in_memory_queue
from worker.backoff import Backoff
from worker.outbox_relay import OutboxRelay
from worker.ports import PendingMessage, ReceivedMessage


def rows(count: int) -> list[PendingMessage]:
    return [
        PendingMessage(
            id=number,
            topic="appointment.requested",
            group="psychologist-1",
            payload={"appointment_id": f"00000000-0000-0000-0000-{number:012d}"},
            request_id=f"req-{number}",
        )
        for number in range(1, count + 1)
    ]


async def test_the_relay_carries_on_after_the_database_comes_back() -> None:
    outbox = ScriptedOutbox(rows(3), failures=[DatabaseUnavailable("refused")] * 3)
    async with in_memory_queue() as (queue, _):
        relay = OutboxRelay(
            outbox,
            queue,
            lambda: DECIDED_AT,
            idle_seconds=0.01,
            outage_backoff=Backoff(base=0.001, cap=0.01),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        received: list[ReceivedMessage] = []
        async with asyncio.timeout(WAIT_SECONDS):
            while len(received) < 3:
                received += await queue.receive(
                    max_messages=10, wait_seconds=WAIT_SECONDS, visibility_timeout=30
                )
        stop.set()
        await asyncio.wait_for(running, WAIT_SECONDS)

    assert outbox.failures == []
    assert [message.attributes["request_id"] for message in received] == [
        "req-1",
        "req-2",
        "req-3",
    ]


async def test_a_mistake_in_the_outbox_stops_the_relay() -> None:
    outbox = ScriptedOutbox(rows(1), failures=[AttributeError("a bug")])
    async with in_memory_queue() as (queue, _):
        relay = OutboxRelay(outbox, queue, lambda: DECIDED_AT, idle_seconds=0.01)
        with pytest.raises(AttributeError, match="a bug"):
            await asyncio.wait_for(relay.run(asyncio.Event()), WAIT_SECONDS)


def test_backoff_grows_with_each_failure_up_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    delays = [backoff.next_delay() for _ in range(6)]
    assert backoff.failures == 6
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert backoff.failures == 0
    assert 0 <= backoff.next_delay() <= 1.0
