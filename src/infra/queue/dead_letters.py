"""Looking at dead letters and sending them back to the queue, for operators."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from infra.queue.limits import MAX_BATCH
from worker.ports import DeadLetterQueue, MessageQueue, OutgoingMessage, ReceivedMessage

# Long enough to read or resend a batch; should the operator's process die
# meanwhile, the letters come back on their own after it.
HOLD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str
    group: str | None
    body: str
    attributes: Mapping[str, str]
    receive_count: int

    @classmethod
    def of(cls, message: ReceivedMessage) -> "DeadLetter":
        return cls(
            message_id=message.message_id,
            group=message.group,
            body=message.body,
            attributes=MappingProxyType(dict(message.attributes)),
            receive_count=message.receive_count,
        )


async def list_dead_letters(
    dead_letters: DeadLetterQueue, limit: int, *, wait_seconds: float = 1.0
) -> list[DeadLetter]:
    """Up to ``limit`` dead letters, left in place (each look counts as a receive)."""
    held: list[ReceivedMessage] = []
    try:
        while len(held) < limit:
            batch = await _hold(dead_letters, limit - len(held), wait_seconds)
            if not batch:
                break
            held.extend(batch)
    finally:
        for message in held:
            await dead_letters.hide(message, 0)
    return [DeadLetter.of(message) for message in held]


async def redrive_dead_letters(
    dead_letters: DeadLetterQueue, queue: MessageQueue, limit: int, *, wait_seconds: float = 1.0
) -> int:
    """Send up to ``limit`` dead letters back to the queue, each in its group; how many."""
    moved = 0
    while moved < limit:
        batch = await _hold(dead_letters, limit - moved, wait_seconds)
        if not batch:
            break
        # A fresh deduplication id: the original may still be remembered by SQS.
        await queue.send_batch([_resend(message) for message in batch])
        for message in batch:
            await dead_letters.delete(message)
        moved += len(batch)
    return moved


async def _hold(
    dead_letters: DeadLetterQueue, wanted: int, wait_seconds: float
) -> list[ReceivedMessage]:
    return await dead_letters.receive(
        max_messages=min(MAX_BATCH, wanted),
        wait_seconds=wait_seconds,
        visibility_timeout=HOLD_SECONDS,
    )


def _resend(message: ReceivedMessage) -> OutgoingMessage:
    return OutgoingMessage(
        deduplication_id=f"redrive-{uuid.uuid4().hex}",
        group=message.group or message.message_id,
        body=message.body,
        attributes=dict(message.attributes),
    )
