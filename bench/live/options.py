"""The command line of ``python -m bench live``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"


@dataclass(frozen=True)
class Options:
    subscribers: tuple[int, ...]
    generators: int
    parts: tuple[str, ...]
    rates: tuple[float, ...]
    steady_seconds: float
    results: Path | None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subscribers",
        help="comma-separated numbers of concurrent subscribers (default 1000,5000,10000; "
        "--quick 200,1000)",
    )
    p.add_argument(
        "--generators",
        type=int,
        default=2,
        help="load-generator processes sharing the subscribers (default 2)",
    )
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="fanout, steady or both (default fanout,steady); each rewrites its own section",
    )
    p.add_argument(
        "--rates", default="50,10", help="steady requests/s, one phase each (default 50,10)"
    )
    p.add_argument(
        "--steady-seconds", type=float, help="length of the steady phase (default 60; --quick 10)"
    )


PARTS = ("fanout", "steady")


def from_args(args: argparse.Namespace, p: argparse.ArgumentParser) -> Options:
    quick = args.quick
    text = getattr(args, "subscribers", None) or ("200,1000" if quick else "1000,5000,10000")
    try:
        subscribers = tuple(int(part) for part in text.split(","))
    except ValueError:
        p.error("--subscribers: comma-separated whole numbers")
    generators = getattr(args, "generators", 2)
    if generators < 1 or any(n < generators for n in subscribers):
        p.error("--generators must be at least 1 and at most the smallest --subscribers")
    parts = tuple(getattr(args, "parts", ",".join(PARTS)).split(","))
    if not parts or any(part not in PARTS for part in parts):
        p.error("--parts: fanout, steady or fanout,steady")
    return Options(
        subscribers=subscribers,
        generators=generators,
        parts=parts,
        rates=tuple(float(part) for part in getattr(args, "rates", "50,10").split(",")),
        steady_seconds=getattr(args, "steady_seconds", None) or (10.0 if quick else 60.0),
        results=args.results or (None if quick else RESULTS),
    )
