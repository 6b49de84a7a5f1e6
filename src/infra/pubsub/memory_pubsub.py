"""In-process fan-out for the embedded mode: every subscriber of a channel gets every message."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from application.event_stream import StreamInterrupted
from infra.pubsub.mailbox import Mailbox

DEFAULT_BUFFER = 256


class InMemoryEventStream:
    """The EventStream port inside one process: subscribing is confirmed at once."""

    def __init__(self, *, buffer: int = DEFAULT_BUFFER) -> None:
        self._buffer = buffer
        self._subscribers: dict[str, set[Mailbox]] = {}
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> int:
        receivers = self._subscribers.get(channel, ())
        # put() never awaits, so no subscriber can come or go during the loop.
        for mailbox in receivers:
            mailbox.put(message)
        return len(receivers)

    async def publish_many(self, channels: Sequence[str], message: bytes) -> None:
        # Without a yield to the event loop: the publisher (a mutation about to answer)
        # goes on at once, as it would after one round trip to a broker.
        for channel in channels:
            await self.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[bytes]]:
        if self._closed:
            raise StreamInterrupted("the event stream is closed")
        mailbox = Mailbox(self._buffer)
        wanted = set(channels)
        for channel in wanted:
            self._subscribers.setdefault(channel, set()).add(mailbox)
        try:
            yield mailbox
        finally:
            for channel in wanted:
                receivers = self._subscribers.get(channel)
                if receivers is not None:
                    receivers.discard(mailbox)
                    if not receivers:
                        del self._subscribers[channel]

    async def close(self) -> None:
        """End every open subscription: the process is shutting down."""
        self._closed = True
        for receivers in self._subscribers.values():
            for mailbox in receivers:
                mailbox.fail(StreamInterrupted("the server is shutting down"))
