"""The outbox relay waits out a database outage and carries on; a mistake stops it."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

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


async def test_an_idle_relay_looks_once_then_only_when_woken() -> None:
    outbox = ScriptedOutbox([])
    wake = asyncio.Event()
    async with in_memory_queue() as (queue, _):
        relay = OutboxRelay(outbox, queue, lambda: DECIDED_AT, idle_seconds=3600, wake=wake)
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        await outbox.wait_for_calls(1)
        # However often the loop gets to run, an idle relay does not look again.
        for _ in range(1_000):
            await asyncio.sleep(0)
        assert outbox.calls == 1

        outbox.rows = rows(3)
        wake.set()
        received = await queue.receive(
            max_messages=10, wait_seconds=WAIT_SECONDS, visibility_timeout=30
        )
        # One look that found the rows, one that found nothing left.
        await outbox.wait_for_calls(3)
        for _ in range(1_000):
            await asyncio.sleep(0)
        stop.set()
        await asyncio.wait_for(running, WAIT_SECONDS)

    assert len(received) == 3
    assert outbox.calls == 3


async def test_a_wake_during_a_look_is_not_lost() -> None:
    wake = asyncio.Event()

    class WokenWhileLooking(ScriptedOutbox):
        async def relay_batch(
            self,
            send: Callable[[Sequence[PendingMessage]], Awaitable[Mapping[int, str]]],
            *,
            limit: int,
            now: datetime,
        ) -> int:
            if self.calls == 0:
                # A commit lands while the relay is looking (and finds nothing yet).
                wake.set()
            return await super().relay_batch(send, limit=limit, now=now)

    outbox = WokenWhileLooking([])
    async with in_memory_queue() as (queue, _):
        relay = OutboxRelay(outbox, queue, lambda: DECIDED_AT, idle_seconds=3600, wake=wake)
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        await outbox.wait_for_calls(2)
        stop.set()
        await asyncio.wait_for(running, WAIT_SECONDS)

    assert outbox.calls == 2
