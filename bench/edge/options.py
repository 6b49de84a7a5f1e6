"""The command line of ``python -m bench edge``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"


@dataclass(frozen=True)
class Options:
    duration: float
    warmup: float
    connections: int
    threads: int
    results: Path | None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")


def from_args(args: argparse.Namespace) -> Options:
    quick = args.quick
    return Options(
        duration=args.duration or (3.0 if quick else 20.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 5.0),
        connections=getattr(args, "connections", 16),
        threads=getattr(args, "threads", 2),
        results=args.results or (None if quick else RESULTS),
    )
