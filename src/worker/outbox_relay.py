"""Moves outbox rows to the queue, ten per SendMessageBatch, oldest first."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from application.errors import DatabaseUnavailable
from worker.backoff import Backoff
from worker.messages import to_outgoing
from worker.ports import MessageQueue, Outbox, PendingMessage, QueueUnavailable

log = logging.getLogger("appointment_api.relay")
BATCH = 10


class OutboxRelay:
    def __init__(
        self,
        outbox: Outbox,
        queue: MessageQueue,
        clock: Callable[[], datetime],
        *,
        idle_seconds: float = 0.1,
        wake: asyncio.Event | None = None,
        outage_backoff: Backoff | None = None,
    ) -> None:
        self._outbox = outbox
        self._queue = queue
        self._clock = clock
        self._idle = idle_seconds
        # Set by an in-process writer so the relay does not wait out its idle poll.
        self._wake = wake or asyncio.Event()
        self._backoff = outage_backoff or Backoff(base=1.0, cap=30.0)

    async def _send(self, rows: Sequence[PendingMessage]) -> None:
        await self._queue.send_batch([to_outgoing(row) for row in rows])
        for row in rows:
            log.info(
                "relayed outbox row",
                extra={"request_id": row.request_id, "outbox_id": row.id, "group": row.group},
            )

    async def relay_once(self) -> int:
        """Relay until nothing is due; how many rows went out."""
        total = 0
        while sent := await self._outbox.relay_batch(self._send, limit=BATCH, now=self._clock()):
            total += sent
        return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            pause = self._idle
            try:
                await self.relay_once()
            except QueueUnavailable as error:
                log.warning("queue unavailable, outbox rows put off: %s", error)
            except DatabaseUnavailable as error:
                pause = self._backoff.next_delay()
                log.warning("database unavailable, outbox relay waits %.1f s: %s", pause, error)
            else:
                if self._backoff.failures:
                    log.info("database reachable again, outbox relay resumed")
                self._backoff.reset()
            self._wake.clear()
            # While the database is away, a new request cannot cut the pause short.
            waking = (stop,) if self._backoff.failures else (stop, self._wake)
            await _first_of(*waking, seconds=pause)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
