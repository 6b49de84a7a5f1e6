"""CPU spent by each part of a deployment, the load generator and everything else, over a span."""

import resource
from collections.abc import Callable
from dataclasses import dataclass

from bench.cpu import machine_busy_seconds

LOAD_GENERATOR = "load generator"
OTHER = "other"


def own_seconds() -> float:
    """This process (the Python load generator and its poller)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reaped_children_seconds() -> float:
    """Our finished child processes: here, the wrk runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds by part over ``seconds`` of wall time; ``other`` is what the rest of the
    machine spent meanwhile (other processes, the kernel, exited short-lived helpers)."""

    seconds: float
    by_part: dict[str, float]

    def per_unit_ms(self, part: str, units: int) -> float:
        return self.by_part.get(part, 0.0) * 1000 / units if units else 0.0

    def cores(self, part: str) -> float:
        return self.by_part.get(part, 0.0) / self.seconds if self.seconds else 0.0


class CpuMeter:
    def __init__(
        self, sources: dict[str, Callable[[], float]], load_generator: Callable[[], float]
    ) -> None:
        self._sources = {**sources, LOAD_GENERATOR: load_generator}

    def snapshot(self) -> dict[str, float]:
        found = {name: read() for name, read in self._sources.items()}
        found[OTHER] = machine_busy_seconds()
        return found

    def between(self, before: dict[str, float], after: dict[str, float], seconds: float) -> CpuUse:
        spent = {name: after[name] - before[name] for name in self._sources}
        busy = after[OTHER] - before[OTHER]
        spent[OTHER] = max(0.0, busy - sum(spent.values()))
        return CpuUse(seconds=seconds, by_part=spent)
