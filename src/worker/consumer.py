"""Receives decision commands and hands each to the decision use case; deletes a message
only after its decision is committed."""

import asyncio
import logging
import random
from collections.abc import Callable
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
        visibility_timeout: float = 30,
        wait_seconds: float = 20,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        rng: random.Random | None = None,
        announce: Announce | None = None,
    ) -> None:
        """``announce`` hands a change's notice on (webhooks, emails, reminders); without
        it notices are acknowledged and dropped."""
        self._announce = announce
        self._queue = queue
        self._decide = decide
        self._reject_failed = reject_failed
        self._clock = clock
        self._outage = outage
        self._observer = observer or outcomes.Unobserved()
        self._concurrency = concurrency
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
            for message in messages or []:
                await self.handle(message)

    async def handle(self, message: ReceivedMessage) -> None:
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
            await self._retry_later(message)
            return
        if self._outage.ongoing:
            # Received before the outage was seen: it cannot be decided now.
            await self._put_back(message)
            return
        if isinstance(command, AnnounceChange):
            await self._announce_change(message, command)
            return
        try:
            decision = await self._decide(command)
        except DatabaseUnavailable as error:
            self._outage.begin(error)
            await self._put_back(message)
            return
        except Exception:
            log.exception(
                "decision failed",
                extra={"request_id": request_id, "receive_count": message.receive_count},
            )
            await self._after_failure(message, command)
            return
        if decision is None:
            log.info("already decided, acknowledged", extra={"request_id": request_id})
            self._observer.handled(outcomes.ALREADY_DECIDED)
        else:
            self._observed(decision)
        await self._delete(message)

    async def _announce_change(self, message: ReceivedMessage, command: AnnounceChange) -> None:
        if self._announce is not None:
            try:
                await self._announce(command)
            except DatabaseUnavailable as error:
                self._outage.begin(error)
                await self._put_back(message)
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
                await self._retry_later(message)
                return
        self._observer.handled(outcomes.ANNOUNCED)
        await self._delete(message)

    async def _after_failure(self, message: ReceivedMessage, command: WorkerCommand) -> None:
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
        await self._retry_later(message)

    async def _put_back(self, message: ReceivedMessage) -> None:
        self._observer.handled(outcomes.RETRIED)
        await self._retry_later(message)

    async def _retry_later(self, message: ReceivedMessage) -> None:
        delay = full_jitter(
            message.receive_count, base=self._retry_base, cap=self._retry_cap, rng=self._rng
        )
        try:
            await self._queue.retry_later(message, delay)
        except QueueUnavailable as error:
            log.warning("could not set the retry delay: %s", error)

    async def _delete(self, message: ReceivedMessage) -> None:
        try:
            await self._queue.delete(message)
        except QueueUnavailable as error:
            # The decision is committed; a redelivery is acknowledged as already decided.
            log.warning("could not delete a handled message: %s", error)

    def _observed(self, decision: StatusChange) -> None:
        self._observer.handled(
            outcomes.decided(decision), outcomes.since_requested(decision, self._clock())
        )
