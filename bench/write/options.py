"""The command line of ``python -m bench write``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"
PHASES = ("floor", "half-peak", "stack")


@dataclass(frozen=True)
class WriteOptions:
    phases: tuple[str, ...]
    duration: float
    warmup: float
    connections: int
    batch_connections: int
    threads: int
    half_peak_seconds: float
    stack_rate: float
    stack_seconds: float
    poll_ms: float
    psychologists: int
    results: Path | None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="comma-separated phases to run, in order (default: all of "
        + ", ".join(PHASES)
        + "; half-peak needs floor)",
    )
    p.add_argument(
        "--connections",
        type=int,
        default=16,
        help="wrk connections for requestAppointment (default 16)",
    )
    p.add_argument(
        "--batch-connections",
        type=int,
        default=4,
        help="wrk connections for the batches (default 4)",
    )
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--half-peak-seconds",
        type=float,
        help="length of the phase at half the API's peak rate (default 30; --quick 5)",
    )
    p.add_argument(
        "--stack-rate",
        type=float,
        default=50.0,
        help="requests/s of the full-stack phase (default 50)",
    )
    p.add_argument(
        "--stack-seconds",
        type=float,
        help="length of the full-stack phase (default 60; --quick 10)",
    )
    p.add_argument(
        "--poll-ms",
        type=float,
        default=10.0,
        help="how often the full-stack phase reads the statuses (default 10 ms)",
    )
    p.add_argument(
        "--psychologists",
        type=int,
        default=200,
        help="psychologists to spread the requests over (default 200)",
    )


def parse_phases(text: str, p: argparse.ArgumentParser) -> tuple[str, ...]:
    phases = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in phases if name not in PHASES]
    if unknown or not phases:
        p.error(f"--phases: choose among {', '.join(PHASES)}")
    if "half-peak" in phases and "floor" not in phases:
        p.error("--phases: half-peak runs at half the rate the floor phase measures")
    return phases


def from_args(args: argparse.Namespace, p: argparse.ArgumentParser) -> WriteOptions:
    quick = args.quick
    return WriteOptions(
        phases=parse_phases(args.phases, p),
        duration=args.duration or (5.0 if quick else 20.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 5.0),
        connections=args.connections,
        batch_connections=args.batch_connections,
        threads=args.threads,
        half_peak_seconds=args.half_peak_seconds or (5.0 if quick else 30.0),
        stack_rate=args.stack_rate,
        stack_seconds=args.stack_seconds or (10.0 if quick else 60.0),
        poll_ms=args.poll_ms,
        psychologists=args.psychologists,
        results=args.results or (None if quick else RESULTS),
    )
