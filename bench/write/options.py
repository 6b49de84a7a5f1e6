"""The command line of ``python -m bench write``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

from bench.write.stacks import Mode

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"


@dataclass(frozen=True)
class WriteOptions:
    modes: tuple[Mode, ...]
    duration: float
    warmup: float
    connections: int
    batch_connections: int
    threads: int
    rates: tuple[float, ...]
    steady_seconds: float
    poll_ms: float
    psychologists: int
    results: Path | None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--modes",
        default=",".join(m.value for m in Mode),
        help="comma-separated deployments to measure, in order (default: all of "
        + ", ".join(m.value for m in Mode)
        + ")",
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
        help="wrk connections for batches of 100 (default 4)",
    )
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--rates",
        default="50,10",
        help="requests/s of the steady open-loop phases, one phase each (default 50,10: the "
        "rate asked for, and a light one that shows the latency without queueing)",
    )
    p.add_argument(
        "--steady-seconds",
        type=float,
        help="length of each steady phase (default 60; --quick 10)",
    )
    p.add_argument(
        "--poll-ms",
        type=float,
        default=10.0,
        help="how often the steady phase reads the statuses (default 10 ms)",
    )
    p.add_argument(
        "--psychologists",
        type=int,
        default=200,
        help="psychologists to spread the requests over (default 200)",
    )


def parse_modes(text: str, p: argparse.ArgumentParser) -> tuple[Mode, ...]:
    try:
        return tuple(Mode(name.strip()) for name in text.split(",") if name.strip())
    except ValueError:
        p.error(f"--modes: choose among {', '.join(m.value for m in Mode)}")


def parse_rates(text: str, p: argparse.ArgumentParser) -> tuple[float, ...]:
    try:
        rates = tuple(float(value) for value in text.split(",") if value.strip())
    except ValueError:
        p.error("--rates: numbers separated by commas, e.g. 50,10")
    if not rates or min(rates) <= 0:
        p.error("--rates: at least one rate, each above 0")
    return rates


def from_args(args: argparse.Namespace, p: argparse.ArgumentParser) -> WriteOptions:
    quick = args.quick
    return WriteOptions(
        modes=parse_modes(args.modes, p),
        duration=args.duration or (3.0 if quick else 20.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 5.0),
        connections=args.connections,
        batch_connections=args.batch_connections,
        threads=args.threads,
        rates=parse_rates(args.rates, p),
        steady_seconds=args.steady_seconds or (10.0 if quick else 60.0),
        poll_ms=args.poll_ms,
        psychologists=args.psychologists,
        results=args.results or (None if quick else RESULTS),
    )
