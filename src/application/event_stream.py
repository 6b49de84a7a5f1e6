"""The pub/sub port that carries committed events to every process that serves subscribers."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class StreamInterrupted(Exception):
    """The connection to the broker was lost: live events may have been missed."""


class SubscriberTooSlow(Exception):
    """The subscriber's buffer overflowed: it must resume from its last cursor."""


class EventStream(Protocol):
    """Pub/sub fan-out of committed events (Redis in the full stack, in-process embedded).

    ``subscribe`` returns once the broker has confirmed the subscription, so that
    anything published after it returns is delivered. Iterating yields messages in
    publish order, raises ``StreamInterrupted`` if the broker connection drops and
    ``SubscriberTooSlow`` once more than the buffer's worth is waiting unread.
    """

    def subscribe(
        self, channels: Sequence[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]: ...

    async def publish(self, channel: str, message: bytes) -> int: ...

    async def publish_many(self, channels: Sequence[str], message: bytes) -> None:
        """``message`` on each of ``channels``, in one round trip to the broker."""
        ...
