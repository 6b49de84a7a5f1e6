"""What the relay, the consumer and the dead-letter sweeper need from the world outside."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.appointments import Appointment, StatusEvent


class QueueUnavailable(Exception):
    """The queue could not be reached or refused the call; worth retrying later."""


class DatabaseUnavailable(Exception):
    """The database could not be reached or dropped the connection; worth retrying later.

    Every port below that stores or reads raises it for an outage; a mistake in a query
    still raises its own error.
    """


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """``deduplication_id`` is unique per logical message (the outbox row id);
    messages of one ``group`` are delivered in order, one at a time."""

    deduplication_id: str
    group: str
    body: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    message_id: str
    receipt: str
    body: str
    attributes: Mapping[str, str]
    receive_count: int
    group: str | None = None


class MessageQueue(Protocol):
    """A FIFO queue with per-group ordering, visibility timeouts and a dead-letter queue.

    A received message stays invisible for the visibility timeout; unless it is
    deleted it comes back, and after ``max_receive_count`` receives it moves to
    the dead-letter queue instead.
    """

    max_receive_count: int

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send up to 10 messages; all of them or raise ``QueueUnavailable``."""
        ...

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]: ...

    async def delete(self, message: ReceivedMessage) -> None: ...

    async def retry_later(self, message: ReceivedMessage, delay_seconds: float) -> None:
        """Make the message visible again after ``delay_seconds`` (a visibility change)."""
        ...

    async def close(self) -> None: ...


class DeadLetterQueue(Protocol):
    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]: ...

    async def delete(self, message: ReceivedMessage) -> None: ...

    async def hide(self, message: ReceivedMessage, seconds: float) -> None:
        """Keep a dead letter out of sight for a while without deleting it (0: show it now)."""
        ...

    async def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An undispatched outbox row."""

    id: int
    topic: str
    group: str
    payload: Mapping[str, str]
    request_id: str | None


class Outbox(Protocol):
    async def relay_batch(
        self,
        send: Callable[[Sequence[PendingMessage]], Awaitable[None]],
        *,
        limit: int,
        now: datetime,
    ) -> int:
        """Hand the oldest due rows to ``send`` and mark them dispatched when it returns.

        Rows locked by another relay are skipped. When ``send`` raises
        ``QueueUnavailable`` the rows count an attempt, are put off with backoff and
        the error is raised again. Returns how many rows were dispatched.
        """
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    appointment: Appointment
    event: StatusEvent


class Decisions(Protocol):
    async def decide(
        self, appointment_id: UUID, *, at: datetime, request_id: str | None
    ) -> Decision | None:
        """Confirm or reject a PENDING appointment in one transaction; None when it
        was already decided (or does not exist), so the message is simply acked."""
        ...

    async def reject_failed(
        self, appointment_id: UUID, *, at: datetime, request_id: str | None
    ) -> Decision | None:
        """Reject with PROCESSING_FAILED when it is still PENDING."""
        ...


class StatusEvents(Protocol):
    async def publish(self, appointment: Appointment, event: StatusEvent) -> None: ...


class DatabaseProbe(Protocol):
    async def check(self) -> None:
        """Return when the database answers a trivial query; raise ``DatabaseUnavailable``
        when it does not."""
        ...


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    """A dead letter as it is archived; ``appointment_id`` when its body could be read."""

    message_id: str
    group: str | None
    body: str
    attributes: Mapping[str, str]
    request_id: str | None
    receive_count: int
    appointment_id: UUID | None
    reason: str


class DeadLetterArchive(Protocol):
    async def keep(self, letter: DeadLetterRecord, *, at: datetime) -> Decision | None:
        """In one transaction: record the letter (once per message id) and reject its
        appointment with PROCESSING_FAILED when it is still PENDING; that rejection, if any."""
        ...


class DecisionObserver(Protocol):
    """Told what became of each message; ``since_requested_seconds`` when a request was decided."""

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None: ...
