"""Receives decision commands and hands each to the decision use case; deletes a message
only after its decision is committed.

Up to ten messages come per receive. Their message groups (one per psychologist) are
decided side by side, a bounded number at a time, each group's messages one after the
other in the order received; once all are done, the deletions go out in one
DeleteMessageBatch and the visibility changes in one ChangeMessageVisibilityBatch.
"""

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from application.changes import StatusChange
from application.commands import RejectFailedRequest
from application.errors import DatabaseUnavailable
from application.lifecycle_commands import DecideReschedule
from application.notice_messages import AnnounceChange
from application.queued_work import WorkerCommand
from worker import outcomes
from worker.backoff import full_jitter
from worker.messages import REQUEST_ID_ATTRIBUTE, UnreadableMessage, read_message
from worker.outage import DatabaseOutage
from worker.ports import (
    Announce,
    Decide,
    DecisionObserver,
    MessageQueue,
    QueueUnavailable,
    ReceivedMessage,
    RejectFailed,
)
from worker.waiting import pause, unless_stopped

log = logging.getLogger("appointment_api.worker")


@dataclass(slots=True)
class Settled:
    """What became of the messages of one receive: handled (to delete), or to be seen
    again after a delay (a visibility change)."""

    done: list[ReceivedMessage] = field(default_factory=list)
    retries: list[tuple[ReceivedMessage, float]] = field(default_factory=list)


class Consumer:
    def __init__(
        self,
        queue: MessageQueue,
        decide: Decide,
        reject_failed: RejectFailed,
        clock: Callable[[], datetime],
        outage: DatabaseOutage,
        *,
        observer: DecisionObserver | None = None,
        concurrency: int = 2,
        parallel_decisions: int = 4,
        visibility_timeout: float = 30,
        wait_seconds: float = 20,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        rng: random.Random | None = None,
        announce: Announce | None = None,
    ) -> None:
        """``concurrency`` receive loops; ``parallel_decisions`` messages handled at once
        between them (each holds a database connection). ``announce`` hands a change's
        notice on (webhooks, emails, reminders); without it notices are acknowledged and
        dropped."""
        self._announce = announce
        self._queue = queue
        self._decide = decide
        self._reject_failed = reject_failed
        self._clock = clock
        self._outage = outage
        self._observer = observer or outcomes.Unobserved()
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(parallel_decisions)
        self._visibility = visibility_timeout
        self._wait = wait_seconds
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._rng = rng or random.Random()

    async def run(self, stop: asyncio.Event) -> None:
        """Receive until ``stop`` is set; messages already received are finished first."""
        await asyncio.gather(*(self._receive_loop(stop) for _ in range(self._concurrency)))

    async def _receive_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self._outage.ongoing and not await self._outage.wait_until_over(stop):
                break
            receiving = self._queue.receive(
                max_messages=10, wait_seconds=self._wait, visibility_timeout=self._visibility
            )
            try:
                # A message received by a call cut short by the stop simply becomes
                # visible again after its timeout.
                received, messages = await unless_stopped(receiving, stop)
            except QueueUnavailable as error:
                log.warning("queue unavailable: %s", error)
                await pause(stop, 1.0)
                continue
            if not received:
                break
            if messages:
                await self.handle_batch(messages)

    async def handle_batch(self, messages: Sequence[ReceivedMessage]) -> None:
        """The messages of one receive (ten at most), then their deletions and visibility
        changes, a call for each."""
        settled = Settled()
        groups: dict[str, list[ReceivedMessage]] = {}
        for message in messages:
            groups.setdefault(message.group or message.message_id, []).append(message)
        await asyncio.gather(*(self._handle_group(group, settled) for group in groups.values()))
        await self._settle(settled)

    async def handle(self, message: ReceivedMessage) -> None:
        """One message alone, settled at once."""
        await self.handle_batch([message])

    async def _handle_group(self, messages: list[ReceivedMessage], settled: Settled) -> None:
        # In the order received: the queue delivered a group's messages in the order sent.
        for message in messages:
            async with self._slots:
                await self._handle(message, settled)

    async def _handle(self, message: ReceivedMessage, settled: Settled) -> None:
        request_id = message.attributes.get(REQUEST_ID_ATTRIBUTE)
        try:
            command = read_message(message.body)
        except UnreadableMessage as error:
            log.error(
                "unreadable message, left for the dead-letter queue: %s",
                error,
                extra={"message_id": message.message_id, "receive_count": message.receive_count},
            )
            self._observer.handled(outcomes.UNREADABLE)
            self._retry_later(message, settled)
            return
        if self._outage.ongoing:
            # Received before the outage was seen: it cannot be decided now.
            self._put_back(message, settled)
            return
        if isinstance(command, AnnounceChange):
            await self._announce_change(message, command, settled)
            return
        try:
            decision = await self._decide(command)
        except DatabaseUnavailable as error:
            self._outage.begin(error)
            self._put_back(message, settled)
            return
        except Exception:
            log.exception(
                "decision failed",
                extra={"request_id": request_id, "receive_count": message.receive_count},
            )
            await self._after_failure(message, command, settled)
            return
        if decision is None:
            log.info("already decided, acknowledged", extra={"request_id": request_id})
            self._observer.handled(outcomes.ALREADY_DECIDED)
        else:
            self._observed(decision)
        settled.done.append(message)

    async def _announce_change(
        self, message: ReceivedMessage, command: AnnounceChange, settled: Settled
    ) -> None:
        if self._announce is not None:
            try:
                await self._announce(command)
            except DatabaseUnavailable as error:
                self._outage.begin(error)
                self._put_back(message, settled)
                return
            except Exception:
                log.exception(
                    "notice not handed on",
                    extra={
                        "request_id": command.change.event.request_id,
                        "receive_count": message.receive_count,
                    },
                )
                self._observer.handled(outcomes.RETRIED)
                self._retry_later(message, settled)
                return
        self._observer.handled(outcomes.ANNOUNCED)
        settled.done.append(message)

    async def _after_failure(
        self, message: ReceivedMessage, command: WorkerCommand, settled: Settled
    ) -> None:
        decision = None
        request_id = command.request_id
        if message.receive_count >= self._queue.max_receive_count:
            # The last delivery: no appointment may stay PENDING forever.
            try:
                decision = await self._reject_failed(
                    RejectFailedRequest(
                        command.appointment_id,
                        request_id,
                        new_time=command.to if isinstance(command, DecideReschedule) else None,
                    )
                )
            except DatabaseUnavailable as error:
                # The dead-letter sweeper rejects it once the database is back.
                self._outage.begin(error)
            except Exception:
                log.exception(
                    "could not record PROCESSING_FAILED", extra={"request_id": request_id}
                )
        if decision is None:
            self._observer.handled(outcomes.RETRIED)
        else:
            self._observed(decision)
        self._retry_later(message, settled)

    def _put_back(self, message: ReceivedMessage, settled: Settled) -> None:
        self._observer.handled(outcomes.RETRIED)
        self._retry_later(message, settled)

    def _retry_later(self, message: ReceivedMessage, settled: Settled) -> None:
        delay = full_jitter(
            message.receive_count, base=self._retry_base, cap=self._retry_cap, rng=self._rng
        )
        settled.retries.append((message, delay))

    async def _settle(self, settled: Settled) -> None:
        if settled.done:
            try:
                failed = await self._queue.delete_batch(settled.done)
            except QueueUnavailable as error:
                # The decisions are committed; a redelivery is acknowledged as already decided.
                log.warning("could not delete handled messages: %s", error)
            else:
                for message_id, reason in failed.items():
                    log.warning(
                        "could not delete a handled message: %s",
                        reason,
                        extra={"message_id": message_id},
                    )
        if settled.retries:
            try:
                failed = await self._queue.retry_later_batch(settled.retries)
            except QueueUnavailable as error:
                log.warning("could not set the retry delays: %s", error)
            else:
                for message_id, reason in failed.items():
                    log.warning(
                        "could not set a retry delay: %s", reason, extra={"message_id": message_id}
                    )

    def _observed(self, decision: StatusChange) -> None:
        self._observer.handled(
            outcomes.decided(decision), outcomes.since_requested(decision, self._clock())
        )
