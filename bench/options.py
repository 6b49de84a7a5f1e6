"""The command line of ``python -m bench read``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Options:
    rows: int
    duration: float
    warmup: float
    depth: int
    connections: int
    threads: int
    keep_data: Path | None
    results: Path | None
    # Seconds at half the peak rate after each peak (0: none), and of py-spy on the API.
    steady_seconds: float = 10.0
    profile_seconds: float = 10.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, help="appointments to generate (default 1,000,000)")
    p.add_argument("--depth", type=int, default=10_000, help="Q2 starts after this row")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--steady-seconds",
        type=float,
        help="seconds at a constant half of each peak rate, for p50/p99 (default 10; "
        "--quick 3; 0: none)",
    )
    p.add_argument(
        "--profile-seconds",
        type=float,
        help="seconds of py-spy sampling the API under Q1 (default 10; --quick 3; 0: none)",
    )
    p.add_argument(
        "--keep-data",
        type=Path,
        metavar="DIR",
        help="keep the PostgreSQL cluster in DIR and reuse its data when the sizes match "
        "(the postgres user must be able to reach DIR); default: a fresh throwaway cluster",
    )


def from_args(args: argparse.Namespace, p: argparse.ArgumentParser) -> Options:
    quick = args.quick
    options = Options(
        rows=getattr(args, "rows", None) or (50_000 if quick else 1_000_000),
        duration=args.duration or (3.0 if quick else 20.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 5.0),
        depth=getattr(args, "depth", 10_000),
        connections=getattr(args, "connections", 16),
        threads=getattr(args, "threads", 2),
        keep_data=args.keep_data.resolve() if getattr(args, "keep_data", None) else None,
        results=args.results or (None if quick else RESULTS),
        steady_seconds=_given(args, "steady_seconds", 3.0 if quick else 10.0),
        profile_seconds=_given(args, "profile_seconds", 3.0 if quick else 10.0),
    )
    if options.rows <= options.depth:
        p.error(f"--rows must exceed --depth ({options.depth})")
    return options


def _given(args: argparse.Namespace, name: str, default: float) -> float:
    value = getattr(args, name, None)
    return default if value is None else float(value)
