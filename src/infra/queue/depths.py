"""How many messages wait in a queue and its dead-letter queue, for metrics."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QueueDepth:
    visible: int
    in_flight: int


@dataclass(frozen=True, slots=True)
class QueueDepths:
    queue: QueueDepth
    dead_letters: QueueDepth


class Measurable(Protocol):
    async def depth(self) -> QueueDepth: ...


async def queue_depths(queue: Measurable, dead_letters: Measurable) -> QueueDepths:
    return QueueDepths(queue=await queue.depth(), dead_letters=await dead_letters.depth())
