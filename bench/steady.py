"""p50/p99 at a constant rate: the open-loop generator (``bench/open_loop.py``) in its own
process, at half the peak rate wrk measured, from the planned send instants."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.open_loop import MARKER

# The goal: at half the peak rate, the slowest 1% stay within 3x the median.
P99_OVER_P50_GOAL = 3.0


@dataclass(frozen=True)
class SteadyResult:
    rate: float
    planned: int
    completed: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    worst_send_lag_ms: float

    @property
    def tail_ratio(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else float("inf")

    @property
    def meets_goal(self) -> bool:
        return self.tail_ratio <= P99_OVER_P50_GOAL


def parse(output: str, rate: float) -> SteadyResult:
    """The generator's result line in ``output``; raises when it is missing or when any
    request failed."""
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise BenchError(f"the open-loop generator printed no result:\n{output[-2000:]}")
    figures = json.loads(lines[-1].removeprefix(MARKER))
    if figures["failures"] or figures["completed"] != figures["planned"]:
        raise BenchError(f"failed requests at a steady {rate:.0f} req/s: {figures}")
    return SteadyResult(
        rate=rate,
        planned=figures["planned"],
        completed=figures["completed"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        worst_send_lag_ms=figures["worst_send_lag_us"] / 1000,
    )


def run_steady(
    url: str, body: bytes, token: str, rate: float, seconds: float, workdir: Path
) -> SteadyResult:
    body_file = workdir / "steady-body.json"
    body_file.write_bytes(body)
    command = [
        sys.executable,
        "-m",
        "bench.open_loop",
        f"--url={url}",
        f"--body={body_file}",
        f"--token={token}",
        f"--rate={rate:.3f}",
        f"--seconds={seconds:g}",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchError(f"the open-loop generator failed:\n{completed.stdout}{completed.stderr}")
    return parse(completed.stdout, rate)
