"""One measured case on one server: load figures and CPU spent per request."""

from dataclasses import dataclass

from bench.steady import SteadyResult
from bench.wrk import LoadResult


@dataclass(frozen=True)
class Measurement:
    case: str
    server: str
    load: LoadResult
    server_cpu_seconds: float
    postgres_cpu_seconds: float
    loadgen_cpu_seconds: float
    # Everything else the machine ran meanwhile (other processes, the kernel's own work).
    other_cpu_seconds: float
    answer_bytes: int
    # p50/p99 at a constant half of the peak rate, measured after the peak.
    steady: SteadyResult | None = None

    def _per_request_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.load.requests

    @property
    def server_cpu_ms(self) -> float:
        return self._per_request_ms(self.server_cpu_seconds)

    @property
    def postgres_cpu_ms(self) -> float:
        return self._per_request_ms(self.postgres_cpu_seconds)

    @property
    def loadgen_cpu_ms(self) -> float:
        return self._per_request_ms(self.loadgen_cpu_seconds)

    @property
    def other_cores(self) -> float:
        """Cores busy with other work, on average over the measured seconds."""
        return self.other_cpu_seconds / self.load.seconds


def by_key(results: list[Measurement]) -> dict[tuple[str, str], Measurement]:
    return {(m.case, m.server): m for m in results}


def ratio(numerator: Measurement | None, denominator: Measurement | None) -> str:
    """requests/s of one over the other's, or n/a when either is missing."""
    if numerator is None or denominator is None:
        return "n/a"
    value = numerator.load.requests_per_second / denominator.load.requests_per_second
    return f"{value:.2f}"


def cpu_ratio(numerator: Measurement | None, denominator: Measurement | None) -> str:
    if numerator is None or denominator is None or not denominator.server_cpu_ms:
        return "n/a"
    return f"{numerator.server_cpu_ms / denominator.server_cpu_ms:.1f}"
