"""Looking at the letters still waiting in a dead-letter queue, for operators."""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from infra.queue.limits import MAX_BATCH
from worker.ports import DeadLetterQueue, ReceivedMessage

# Long enough to read a batch; should the operator's process die meanwhile, the
# letters come back on their own after it.
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
    """Up to ``limit`` dead letters, left in place and in view again at once (each look
    counts as a receive)."""
    held: list[ReceivedMessage] = []
    try:
        while len(held) < limit:
            batch = await dead_letters.receive(
                max_messages=min(MAX_BATCH, limit - len(held)),
                wait_seconds=wait_seconds,
                visibility_timeout=HOLD_SECONDS,
            )
            if not batch:
                break
            held.extend(batch)
    finally:
        for message in held:
            await dead_letters.hide(message, 0)
    return [DeadLetter.of(message) for message in held]
