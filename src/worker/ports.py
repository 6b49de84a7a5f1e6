"""What the relay, the consumer and the dead-letter sweeper need from the world outside:
the queues, the outbox, and the use cases they hand their commands to.

The outbox, the probe and the use cases raise ``application.errors.DatabaseUnavailable``
for a database outage; a mistake in a query still raises its own error.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.changes import StatusChange
from application.commands import ArchiveDeadLetter, RejectFailedRequest
from application.notice_messages import AnnounceChange
from application.queued_work import WorkerCommand


class QueueUnavailable(Exception):
    """The queue could not be reached or refused the call; worth retrying later."""


# What a batch call refused entry by entry: the entry's id (a deduplication id for a send,
# a message id otherwise) and the queue's reason.
Failed = Mapping[str, str]


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

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> Failed:
        """Send up to 10 messages in one call. Raise ``QueueUnavailable`` when the call
        failed as a whole; otherwise the entries refused one by one, by deduplication id
        (the others are queued)."""
        ...

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]: ...

    async def delete(self, message: ReceivedMessage) -> None: ...

    async def delete_batch(self, messages: Sequence[ReceivedMessage]) -> Failed:
        """Delete up to 10 messages in one call; the entries that failed, by message id."""
        ...

    async def retry_later(self, message: ReceivedMessage, delay_seconds: float) -> None:
        """Make the message visible again after ``delay_seconds`` (a visibility change)."""
        ...

    async def retry_later_batch(self, delays: Sequence[tuple[ReceivedMessage, float]]) -> Failed:
        """``retry_later`` for up to 10 messages in one call; the entries that failed, by
        message id."""
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
    payload: Mapping[str, str | None]
    request_id: str | None


class Outbox(Protocol):
    async def relay_batch(
        self,
        send: Callable[[Sequence[PendingMessage]], Awaitable[Mapping[int, str]]],
        *,
        limit: int,
        now: datetime,
    ) -> int:
        """Hand the oldest due rows to ``send`` and mark them dispatched when it returns,
        except the rows it names as refused (row id → reason): those count an attempt and
        are put off with backoff, as are all of them when ``send`` raises
        ``QueueUnavailable`` (raised again then).

        Rows locked by another relay are skipped. Returns how many rows were dispatched.
        """
        ...


class Decide(Protocol):
    async def __call__(self, command: WorkerCommand) -> StatusChange | None:
        """Confirm or reject a PENDING appointment and publish the change; None when it
        was already decided (or does not exist), so the message is simply acked."""
        ...


class Announce(Protocol):
    async def __call__(self, command: AnnounceChange) -> None:
        """Store what a change's notice calls for (idempotent: the same notice twice
        stores nothing new)."""
        ...


class RejectFailed(Protocol):
    async def __call__(self, command: RejectFailedRequest) -> StatusChange | None:
        """Reject with PROCESSING_FAILED when it is still PENDING, and publish the change."""
        ...


class DatabaseProbe(Protocol):
    async def check(self) -> None:
        """Return when the database answers a trivial query; raise ``DatabaseUnavailable``
        when it does not."""
        ...


class ArchiveDeadLetters(Protocol):
    async def __call__(self, letter: ArchiveDeadLetter) -> StatusChange | None:
        """In one transaction: record the letter (once per message id) and reject its
        appointment with PROCESSING_FAILED when it is still PENDING; that rejection, if any,
        published once committed."""
        ...


class DecisionObserver(Protocol):
    """Told what became of each message; ``since_requested_seconds`` when a request was decided."""

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None: ...
