"""The dead-letter sweeper: every dead letter is archived for operators, and its request
rejected with PROCESSING_FAILED (no appointment stays PENDING forever), in one
transaction; only then is the letter deleted from the dead-letter queue.

Nothing is hidden for long: a letter is out of sight only while it is being archived,
so operators always find it in the queue or in the archive, and a FIFO group's later
letters are never held back behind it.
"""

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from application.commands import ArchiveDeadLetter
from application.errors import DatabaseUnavailable
from application.lifecycle_commands import DecideReschedule
from application.notice_messages import AnnounceChange
from worker import outcomes
from worker.backoff import Backoff
from worker.messages import REQUEST_ID_ATTRIBUTE, UnreadableMessage, read_message
from worker.ports import (
    ArchiveDeadLetters,
    DeadLetterQueue,
    DecisionObserver,
    QueueUnavailable,
    ReceivedMessage,
)
from worker.waiting import pause, unless_stopped

log = logging.getLogger("appointment_api.dead_letters")
# Long enough to archive a batch; should this process die meanwhile, the letters
# come back on their own after it.
HOLD_SECONDS = 30.0


class DeadLetterSweeper:
    def __init__(
        self,
        dead_letters: DeadLetterQueue,
        archive: ArchiveDeadLetters,
        clock: Callable[[], datetime],
        *,
        observer: DecisionObserver | None = None,
        wait_seconds: float = 20.0,
        retry_base: float = 1.0,
        retry_cap: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self._dead_letters = dead_letters
        self._archive = archive
        self._clock = clock
        self._observer = observer or outcomes.Unobserved()
        self._wait = wait_seconds
        self._backoff = Backoff(base=retry_base, cap=retry_cap, rng=rng)

    async def sweep_once(self, *, wait_seconds: float = 0) -> int:
        """Archive the dead letters in view (up to ten); how many."""
        letters = await self._dead_letters.receive(
            max_messages=10, wait_seconds=wait_seconds, visibility_timeout=HOLD_SECONDS
        )
        await self._archive_all(letters)
        return len(letters)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            receiving = self._dead_letters.receive(
                max_messages=10, wait_seconds=self._wait, visibility_timeout=HOLD_SECONDS
            )
            try:
                received, letters = await unless_stopped(receiving, stop)
                if not received:
                    break
                await self._archive_all(letters or [])
            except QueueUnavailable as error:
                log.warning("dead-letter queue unavailable: %s", error)
                await pause(stop, 1.0)
            except DatabaseUnavailable as error:
                delay = self._backoff.next_delay()
                log.warning("database unavailable, dead letters wait %.1f s: %s", delay, error)
                await pause(stop, delay)
            else:
                if self._backoff.failures:
                    log.info("database reachable again, dead letters archived again")
                self._backoff.reset()

    async def _archive_all(self, letters: Sequence[ReceivedMessage]) -> None:
        for index, letter in enumerate(letters):
            try:
                await self._keep(letter)
            except DatabaseUnavailable:
                # In view again at once, for operators and the next sweep.
                await self._show(letters[index:])
                raise

    async def _keep(self, letter: ReceivedMessage) -> None:
        record = archived(letter)
        decision = await self._archive(record)
        log.warning(
            "dead letter archived",
            extra={
                "message_id": letter.message_id,
                "request_id": record.request_id,
                "appointment_id": str(record.appointment_id) if record.appointment_id else None,
                "receive_count": letter.receive_count,
            },
        )
        self._observer.handled(
            outcomes.DEAD_LETTERED, outcomes.since_requested(decision, self._clock())
        )
        if decision is not None:
            log.warning(
                "dead-lettered request rejected with PROCESSING_FAILED",
                extra={
                    "request_id": record.request_id,
                    "appointment_id": str(decision.appointment.id),
                },
            )
        try:
            await self._dead_letters.delete(letter)
        except QueueUnavailable as error:
            # It comes back after its hold, and archiving it again changes nothing.
            log.warning("could not delete an archived dead letter: %s", error)

    async def _show(self, letters: Sequence[ReceivedMessage]) -> None:
        for letter in letters:
            try:
                await self._dead_letters.hide(letter, 0)
            except QueueUnavailable as error:
                log.warning("could not put a dead letter back in view: %s", error)


def archived(letter: ReceivedMessage) -> ArchiveDeadLetter:
    """The record of a letter: what it asked for when that can be read, and why it is here."""
    request_id = letter.attributes.get(REQUEST_ID_ATTRIBUTE)
    try:
        command = read_message(letter.body)
    except UnreadableMessage as error:
        appointment_id, reason, new_time = None, f"unreadable: {error}", None
    else:
        if isinstance(command, AnnounceChange):
            # A notice that could not be handed on: kept for operators; the appointment
            # itself is as it should be.
            request_id = request_id or command.change.event.request_id
            return _record(letter, request_id, None, "notice retries exhausted", None)
        appointment_id = command.appointment_id
        new_time = command.to if isinstance(command, DecideReschedule) else None
        request_id = request_id or command.request_id
        reason = "retries exhausted"
    return _record(letter, request_id, appointment_id, reason, new_time)


def _record(
    letter: ReceivedMessage,
    request_id: str | None,
    appointment_id: UUID | None,
    reason: str,
    new_time: datetime | None,
) -> ArchiveDeadLetter:
    return ArchiveDeadLetter(
        message_id=letter.message_id,
        group=letter.group,
        body=letter.body,
        attributes=dict(letter.attributes),
        request_id=request_id,
        receive_count=letter.receive_count,
        appointment_id=appointment_id,
        reason=reason,
        new_time=new_time,
    )
