"""The message queue and its dead-letter queue inside this process, for the embedded mode."""

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from infra.queue.depths import QueueDepth
from infra.queue.limits import check_batch
from infra.queue.memory_fifo import Clock, FifoStore, StoredMessage
from worker.ports import Failed, OutgoingMessage, ReceivedMessage


class InMemoryDeadLetterQueue:
    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._store = FifoStore(clock)

    def take_in(self, message: StoredMessage) -> None:
        """Keep a message that its queue gave up on."""
        self._store.add(message)

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        return await self._store.receive(
            max_messages=max_messages,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
        )

    async def delete(self, message: ReceivedMessage) -> None:
        self._store.remove(message)

    async def hide(self, message: ReceivedMessage, seconds: float) -> None:
        self._store.change_visibility(message, seconds)

    async def count(self) -> int:
        return self._store.count()

    async def depth(self) -> QueueDepth:
        return self._store.depth()

    async def close(self) -> None:
        self._store.close()


class InMemoryQueue:
    """Give it the same clock as its dead-letter queue."""

    def __init__(
        self,
        dead_letters: InMemoryDeadLetterQueue,
        *,
        max_receive_count: int = 5,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_receive_count < 1:
            raise ValueError(f"max_receive_count must be at least 1, not {max_receive_count}")
        self.max_receive_count = max_receive_count
        self._store = FifoStore(
            clock, dead_letter=dead_letters.take_in, max_receive_count=max_receive_count
        )

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> Failed:
        check_batch(messages)
        self._store.send(messages)
        return {}

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        return await self._store.receive(
            max_messages=max_messages,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
        )

    async def delete(self, message: ReceivedMessage) -> None:
        self._store.remove(message)

    async def delete_batch(self, messages: Sequence[ReceivedMessage]) -> Failed:
        check_batch(messages)
        for message in messages:
            self._store.remove(message)
        return {}

    async def retry_later(self, message: ReceivedMessage, delay_seconds: float) -> None:
        self._store.change_visibility(message, delay_seconds)

    async def retry_later_batch(self, delays: Sequence[tuple[ReceivedMessage, float]]) -> Failed:
        check_batch(delays)
        for message, seconds in delays:
            self._store.change_visibility(message, seconds)
        return {}

    async def depth(self) -> QueueDepth:
        return self._store.depth()

    async def close(self) -> None:
        self._store.close()


@asynccontextmanager
async def in_memory_queue(
    *, max_receive_count: int = 5, clock: Clock = time.monotonic
) -> AsyncIterator[tuple[InMemoryQueue, InMemoryDeadLetterQueue]]:
    """The queue and its dead-letter queue on one clock, closed after the block."""
    dead_letters = InMemoryDeadLetterQueue(clock=clock)
    queue = InMemoryQueue(dead_letters, max_receive_count=max_receive_count, clock=clock)
    try:
        yield queue, dead_letters
    finally:
        await queue.close()
        await dead_letters.close()
