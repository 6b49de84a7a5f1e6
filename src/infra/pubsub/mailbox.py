"""One subscriber's bounded buffer, shared by every EventStream adapter."""

import asyncio
from collections import deque
from collections.abc import Sequence

from application.event_stream import StreamInterrupted, SubscriberTooSlow

# Subscribers woken per turn of the event loop: between two batches, the loop answers
# HTTP requests and reads sockets, so a fan-out to thousands holds nobody up for long.
DELIVERY_BATCH = 128


async def deliver(message: bytes, mailboxes: Sequence["Mailbox"]) -> None:
    """Put ``message`` in every mailbox, yielding to the event loop between batches.

    Each woken subscriber renders and writes its frame on the turn after it is woken;
    waking them all at once would make every other task (a mutation's answer, a query)
    wait for the whole fan-out.
    """
    for start in range(0, len(mailboxes), DELIVERY_BATCH):
        if start:
            await asyncio.sleep(0)
        for mailbox in mailboxes[start : start + DELIVERY_BATCH]:
            mailbox.put(message)


class Mailbox:
    """Messages for one subscriber, in arrival order, at most ``capacity`` unread.

    The broker side calls ``put`` and ``fail`` without awaiting; the subscriber
    iterates. Once closed (overflow or failure) nothing more is accepted: the
    subscriber first reads what arrived before, then gets the error, so what it
    saw has no hole in it and it can resume right after its last message.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a mailbox holds at least one message")
        self._capacity = capacity
        # Made on the first message and dropped once read: an idle subscriber (most of
        # them, most of the time) holds no buffer at all.
        self._messages: deque[bytes] | None = None
        self._failure: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None

    @property
    def closed(self) -> bool:
        return self._failure is not None

    def put(self, message: bytes) -> bool:
        """Queue ``message``; False when the mailbox is closed or has just overflowed."""
        if self._failure is not None:
            return False
        messages = self._messages
        if messages is None:
            messages = self._messages = deque()
        elif len(messages) >= self._capacity:
            self.fail(SubscriberTooSlow(f"more than {self._capacity} messages were waiting unread"))
            return False
        messages.append(message)
        self._wake()
        return True

    def fail(self, error: StreamInterrupted | SubscriberTooSlow) -> None:
        """End the stream with ``error`` once the messages already queued are read."""
        if self._failure is None:
            self._failure = error
            self._wake()

    def __aiter__(self) -> "Mailbox":
        return self

    async def __anext__(self) -> bytes:
        while not self._messages:
            if self._failure is not None:
                # A fresh exception each time: many subscribers may share one failure.
                raise type(self._failure)(*self._failure.args)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._messages.popleft()
        if not self._messages:
            self._messages = None
        return message

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
