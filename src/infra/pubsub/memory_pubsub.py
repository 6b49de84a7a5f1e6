"""In-process fan-out for the embedded mode: every subscriber of a channel gets every message."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InMemoryPubSub:
    def __init__(self, *, buffer: int = 256) -> None:
        self._buffer = buffer
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)

    async def publish(self, channel: str, message: bytes) -> int:
        receivers = self._subscribers.get(channel, set())
        for queue in receivers:
            if queue.full():
                # A subscriber that does not keep up loses its oldest message and
                # detects the gap by the event versions.
                queue.get_nowait()
            queue.put_nowait(message)
        return len(receivers)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator["asyncio.Queue[bytes]"]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(self._buffer)
        self._subscribers[channel].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                del self._subscribers[channel]
