"""The command line of ``python -m bench``."""

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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Read-path benchmark: appointments(first: 20) from the API and from a bare "
        "Starlette + asyncpg floor, on a private PostgreSQL, loaded by wrk.",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 50,000 rows, 3 s per case")
    p.add_argument("--rows", type=int, help="appointments to generate (default 1,000,000)")
    p.add_argument("--duration", type=float, help="measured seconds per case (default 20)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per case (default 5)")
    p.add_argument("--depth", type=int, default=10_000, help="Q2 starts after this row")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--keep-data",
        type=Path,
        metavar="DIR",
        help="keep the PostgreSQL cluster in DIR and reuse its data when the sizes match "
        "(the postgres user must be able to reach DIR); default: a fresh throwaway cluster",
    )
    p.add_argument(
        "--results",
        type=Path,
        metavar="FILE",
        help="the Markdown file to update (default bench/RESULTS.md; a --quick run writes "
        "none unless given)",
    )
    return p


def parse(argv: list[str]) -> Options:
    args = parser().parse_args(argv)
    quick = args.quick
    options = Options(
        rows=args.rows or (50_000 if quick else 1_000_000),
        duration=args.duration or (3.0 if quick else 20.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 5.0),
        depth=args.depth,
        connections=args.connections,
        threads=args.threads,
        keep_data=args.keep_data.resolve() if args.keep_data else None,
        results=args.results or (None if quick else RESULTS),
    )
    if options.rows <= options.depth:
        parser().error(f"--rows must exceed --depth ({options.depth})")
    return options
