"""Pure helpers of the live parts: an open loop's schedule, shares, and summaries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


def due(start: float, index: int, rate: float) -> float:
    """When item ``index`` of an open loop at ``rate`` per second leaves: start + i / rate,
    whatever happened to the earlier ones."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    return start + index / rate


def shares(items: Sequence[T], parts: int) -> list[list[T]]:
    """``items`` dealt into ``parts`` lists of sizes differing by at most one, in order."""
    if parts < 1:
        raise ValueError("at least one part")
    size, extra = divmod(len(items), parts)
    out: list[list[T]] = []
    at = 0
    for i in range(parts):
        end = at + size + (1 if i < extra else 0)
        out.append(list(items[at:end]))
        at = end
    return out


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of them at or below it."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, round(fraction * len(sorted_values) + 0.4999999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Spread:
    """p50, p99 and the largest of some durations (ms), and how many."""

    p50: float
    p99: float
    max: float
    count: int

    def text(self) -> str:
        return f"{self.p50:,.0f} ms | {self.p99:,.0f} ms | {self.max:,.0f} ms"


def spread(values: Sequence[float]) -> Spread:
    ordered = sorted(values)
    return Spread(percentile(ordered, 0.5), percentile(ordered, 0.99), ordered[-1], len(ordered))


def achieved_rate(instants: Sequence[float]) -> float:
    """Items per second between the first and the last instant (0 for fewer than two)."""
    if len(instants) < 2:
        return 0.0
    window = max(instants) - min(instants)
    return (len(instants) - 1) / window if window > 0 else 0.0


def instant(text: str) -> float:
    """Epoch seconds of an ISO 8601 instant as the API writes it (``...Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
