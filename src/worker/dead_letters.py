"""No appointment stays PENDING forever: whatever reached the dead-letter queue is rejected
with PROCESSING_FAILED. The message stays there for operators to inspect or redrive."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from worker.messages import UnreadableMessage, read_command
from worker.ports import DeadLetterQueue, Decisions, QueueUnavailable, StatusEvents

log = logging.getLogger("appointment_api.dead_letters")
# Long enough that a sweep does not see the same dead letter again and again.
HIDE_SECONDS = 3600.0


class DeadLetterSweeper:
    def __init__(
        self,
        dead_letters: DeadLetterQueue,
        decisions: Decisions,
        events: StatusEvents,
        clock: Callable[[], datetime],
        *,
        interval_seconds: float = 15.0,
    ) -> None:
        self._dead_letters = dead_letters
        self._decisions = decisions
        self._events = events
        self._clock = clock
        self._interval = interval_seconds

    async def sweep_once(self) -> int:
        """Reject the PENDING appointments of the dead letters in view; how many."""
        rejected = 0
        letters = await self._dead_letters.receive(
            max_messages=10, wait_seconds=0, visibility_timeout=HIDE_SECONDS
        )
        for letter in letters:
            try:
                command = read_command(letter.body)
            except UnreadableMessage:
                continue
            decision = await self._decisions.reject_failed(
                command.appointment_id, at=self._clock(), request_id=command.request_id
            )
            if decision is not None:
                rejected += 1
                log.warning(
                    "dead-lettered request rejected with PROCESSING_FAILED",
                    extra={
                        "request_id": command.request_id,
                        "appointment_id": str(command.appointment_id),
                    },
                )
                await self._events.publish(decision.appointment, decision.event)
        return rejected

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep_once()
            except QueueUnavailable as error:
                log.warning("dead-letter queue unavailable: %s", error)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._interval)
            except TimeoutError:
                continue
