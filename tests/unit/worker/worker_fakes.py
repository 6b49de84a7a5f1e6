"""Fakes of the worker's ports, for the worker's pure logic; the queue is the in-process one."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

import orjson

from application.changes import StatusChange
from application.commands import ArchiveDeadLetter, DecideAppointment, RejectFailedRequest
from builders import NOW, an_appointment
from domain.appointments import Appointment, AppointmentStatus, RejectionReason
from infra.queue.depths import QueueDepth
from infra.queue.memory_queue import InMemoryQueue
from worker.ports import Failed, OutgoingMessage, PendingMessage, ReceivedMessage

DECIDED_AT = NOW + timedelta(seconds=3)
WAIT_SECONDS = 5.0


def command(appointment_id: UUID, group: str = "psychologist-1") -> OutgoingMessage:
    body = {"topic": "appointment.requested", "appointment_id": str(appointment_id)}
    return OutgoingMessage(
        deduplication_id=str(appointment_id),
        group=group,
        body=orjson.dumps({**body, "request_id": "req-1"}).decode(),
        attributes={"request_id": "req-1"},
    )


def decision(
    appointment: Appointment, status: AppointmentStatus, reason: str | None
) -> StatusChange:
    changed, event = appointment.transition(status, at=DECIDED_AT, reason=reason)
    return StatusChange(changed, event)


def pending(**overrides: object) -> Appointment:
    return an_appointment(UUID(int=1), UUID(int=2), **overrides)


class Outcomes:
    """A DecisionObserver that remembers, and wakes whoever waits for an outcome."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float | None]] = []
        self._changed = asyncio.Event()

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None:
        self.seen.append((outcome, since_requested_seconds))
        self._changed.set()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.seen]

    async def wait_for(self, outcome: str, count: int = 1) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while self.names.count(outcome) < count:
                self._changed.clear()
                await self._changed.wait()


@dataclass
class ScriptedDecisions:
    """The decision use cases, answering from a script: a change, None, or an exception."""

    appointment: Appointment
    script: list[StatusChange | Exception | None]
    commands: list[DecideAppointment] = field(default_factory=list)
    rejections: list[UUID] = field(default_factory=list)

    async def decide(self, command: DecideAppointment) -> StatusChange | None:
        self.commands.append(command)
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def reject_failed(self, command: RejectFailedRequest) -> StatusChange | None:
        self.rejections.append(command.appointment_id)
        return decision(
            self.appointment, AppointmentStatus.REJECTED, RejectionReason.PROCESSING_FAILED.value
        )


class SwitchableProbe:
    """A DatabaseProbe whose answer the test sets; counts the checks."""

    def __init__(self, answer: Callable[[], None]) -> None:
        self.answer = answer
        self.checks = 0
        self._checked = asyncio.Event()

    async def check(self) -> None:
        self.checks += 1
        self._checked.set()
        self.answer()

    async def wait_for_checks(self, count: int) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while self.checks < count:
                self._checked.clear()
                await self._checked.wait()


@dataclass
class ScriptedArchive:
    """The archiving use case, keeping letters in a list, or raising what the script says."""

    failures: list[Exception] = field(default_factory=list)
    kept: list[ArchiveDeadLetter] = field(default_factory=list)
    rejecting: Appointment | None = None

    async def __call__(self, letter: ArchiveDeadLetter) -> StatusChange | None:
        if self.failures:
            raise self.failures.pop(0)
        self.kept.append(letter)
        if self.rejecting is None or letter.appointment_id != self.rejecting.id:
            return None
        return decision(
            self.rejecting, AppointmentStatus.REJECTED, RejectionReason.PROCESSING_FAILED.value
        )


class SpyQueue:
    """The in-process queue, remembering every message it hands out."""

    def __init__(self, inner: InMemoryQueue) -> None:
        self._inner = inner
        self.max_receive_count = inner.max_receive_count
        self.received: list[ReceivedMessage] = []

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> Failed:
        return await self._inner.send_batch(messages)

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        got = await self._inner.receive(
            max_messages=max_messages,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
        )
        self.received.extend(got)
        return got

    async def delete(self, message: ReceivedMessage) -> None:
        await self._inner.delete(message)

    async def delete_batch(self, messages: Sequence[ReceivedMessage]) -> Failed:
        return await self._inner.delete_batch(messages)

    async def retry_later(self, message: ReceivedMessage, delay_seconds: float) -> None:
        await self._inner.retry_later(message, delay_seconds)

    async def retry_later_batch(self, delays: Sequence[tuple[ReceivedMessage, float]]) -> Failed:
        return await self._inner.retry_later_batch(delays)

    async def close(self) -> None:
        await self._inner.close()

    async def depth(self) -> QueueDepth:
        return await self._inner.depth()


@dataclass
class ScriptedOutbox:
    """An Outbox of fixed rows; each call first raises the next scripted failure, if any."""

    rows: list[PendingMessage]
    failures: list[Exception] = field(default_factory=list)
    calls: int = 0
    _called: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_calls(self, count: int) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while self.calls < count:
                self._called.clear()
                await self._called.wait()

    async def relay_batch(
        self,
        send: Callable[[Sequence[PendingMessage]], Awaitable[Mapping[int, str]]],
        *,
        limit: int,
        now: datetime,
    ) -> int:
        self.calls += 1
        self._called.set()
        if self.failures:
            raise self.failures.pop(0)
        batch, self.rows = self.rows[:limit], self.rows[limit:]
        if batch:
            await send(batch)
        return len(batch)
