"""``python -m bench.edge``: the edge suite on its own."""

import argparse
import shlex
import sys
from pathlib import Path

from bench.edge import options
from bench.errors import BenchError


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.edge")
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s per case, no file")
    p.add_argument("--duration", type=float, help="measured seconds per case (default 20)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per case (default 5)")
    p.add_argument("--results", type=Path, metavar="FILE", help="default bench/RESULTS.md")
    options.add_arguments(p)
    args = p.parse_args()
    from bench.edge.run import run

    try:
        run(options.from_args(args), shlex.join(["python", "-m", "bench.edge", *sys.argv[1:]]))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


sys.exit(main())
