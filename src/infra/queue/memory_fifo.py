"""An in-process FIFO queue with SQS's semantics: groups, visibility, receive counts.

Visibility and receive counts are dated by an injected clock; long polling
waits in real time, woken by any change (a send, a delete, a visibility
change) or when the next in-flight message comes due.
"""

import asyncio
import contextlib
import itertools
import math
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from infra.queue.depths import QueueDepth
from infra.queue.limits import (
    check_max_messages,
    sendable_attributes,
    visibility_between_limits,
    wait_seconds_between_limits,
)
from worker.ports import OutgoingMessage, QueueUnavailable, ReceivedMessage

Clock = Callable[[], float]


@dataclass(slots=True, eq=False)
class StoredMessage:
    message_id: str
    deduplication_id: str
    group: str
    body: str
    attributes: Mapping[str, str]
    receive_count: int = 0
    receipt: str | None = None
    visible_at: float = -math.inf
    sequence: int = 0

    def in_flight(self, now: float) -> bool:
        return self.visible_at > now

    def handed_out(self, now: float, visibility_timeout: float) -> ReceivedMessage:
        self.receive_count += 1
        self.receipt = uuid.uuid4().hex
        self.visible_at = now + visibility_timeout
        return ReceivedMessage(
            message_id=self.message_id,
            receipt=self.receipt,
            body=self.body,
            attributes=dict(self.attributes),
            receive_count=self.receive_count,
            group=self.group,
        )


class FifoStore:
    """Messages by group in arrival order; a group with a message in flight is locked.

    With ``dead_letter`` set, a message already received ``max_receive_count``
    times goes there instead of being handed out again.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        dead_letter: Callable[[StoredMessage], None] | None = None,
        max_receive_count: int = 0,
    ) -> None:
        self._clock = clock
        self._dead_letter = dead_letter
        self._max_receive_count = max_receive_count
        self._groups: dict[str, deque[StoredMessage]] = {}
        self._by_id: dict[str, StoredMessage] = {}
        self._by_deduplication_id: dict[str, StoredMessage] = {}
        self._sequence = itertools.count(1)
        self._changed = asyncio.Event()
        self._closed = False

    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        """In order; a deduplication id already in the store is dropped, as SQS does."""
        self._check_open()
        for message in messages:
            if message.deduplication_id in self._by_deduplication_id:
                continue
            self.add(
                StoredMessage(
                    message_id=str(uuid.uuid4()),
                    deduplication_id=message.deduplication_id,
                    group=message.group,
                    body=message.body,
                    attributes=sendable_attributes(message.attributes),
                )
            )

    def add(self, message: StoredMessage) -> None:
        message.sequence = next(self._sequence)
        self._groups.setdefault(message.group, deque()).append(message)
        self._by_id[message.message_id] = message
        self._by_deduplication_id[message.deduplication_id] = message
        self._signal()

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        check_max_messages(max_messages)
        self._check_open()
        visibility_timeout = visibility_between_limits(visibility_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds_between_limits(wait_seconds)
        while True:
            changed = self._changed
            batch = self._take(max_messages, visibility_timeout)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closed:
                return batch
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, self._until_next_due())):
                    await changed.wait()

    def remove(self, message: ReceivedMessage) -> None:
        """Delete the message, whichever of its receipts this is; gone already is fine."""
        self._check_open()
        stored = self._by_id.get(message.message_id)
        if stored is not None:
            self._discard(stored)
            self._signal()

    def change_visibility(self, message: ReceivedMessage, seconds: float) -> None:
        """Only with the latest receipt: an older one's holder has lost the message."""
        self._check_open()
        stored = self._by_id.get(message.message_id)
        if stored is None or stored.receipt != message.receipt:
            return
        stored.visible_at = self._clock() + visibility_between_limits(seconds)
        self._signal()

    def depth(self) -> QueueDepth:
        now = self._clock()
        in_flight = sum(1 for message in self._by_id.values() if message.in_flight(now))
        return QueueDepth(visible=len(self._by_id) - in_flight, in_flight=in_flight)

    def count(self) -> int:
        return len(self._by_id)

    def close(self) -> None:
        self._closed = True
        self._signal()

    def _take(self, max_messages: int, visibility_timeout: float) -> list[ReceivedMessage]:
        now = self._clock()
        taken: list[ReceivedMessage] = []
        for group in self._unlocked_groups(now):
            for message in list(group):
                if len(taken) == max_messages:
                    return taken
                if self._dead_letter is not None and (
                    message.receive_count >= self._max_receive_count
                ):
                    self._discard(message)
                    self._dead_letter(message)
                    continue
                taken.append(message.handed_out(now, visibility_timeout))
        return taken

    def _unlocked_groups(self, now: float) -> list[deque[StoredMessage]]:
        unlocked = [
            group
            for group in self._groups.values()
            if not any(message.in_flight(now) for message in group)
        ]
        # Oldest head first, so that no group waits behind newer ones.
        return sorted(unlocked, key=lambda group: group[0].sequence)

    def _until_next_due(self) -> float:
        now = self._clock()
        due = (m.visible_at for m in self._by_id.values() if m.in_flight(now))
        return min(due, default=math.inf) - now

    def _discard(self, message: StoredMessage) -> None:
        group = self._groups[message.group]
        group.remove(message)
        if not group:
            del self._groups[message.group]
        del self._by_id[message.message_id]
        if self._by_deduplication_id.get(message.deduplication_id) is message:
            del self._by_deduplication_id[message.deduplication_id]

    def _signal(self) -> None:
        # Waking every waiter with a fresh event for the next change: a waiter
        # that looked at the state before this change is sure to see it.
        self._changed.set()
        self._changed = asyncio.Event()

    def _check_open(self) -> None:
        if self._closed:
            raise QueueUnavailable("the in-process queue is closed")
