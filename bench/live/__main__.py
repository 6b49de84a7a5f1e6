"""``python -m bench.live``: the live suite on its own."""

import argparse
import shlex
import sys
from pathlib import Path

from bench.errors import BenchError
from bench.live import options


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.live")
    p.add_argument(
        "--quick", action="store_true", help="smoke run: 200 and 1,000 subscribers, no file"
    )
    p.add_argument("--duration", type=float, help="unused: each size is one event")
    p.add_argument("--warmup", type=float, help="unused: each size is one event")
    p.add_argument("--results", type=Path, metavar="FILE", help="default bench/RESULTS.md")
    options.add_arguments(p)
    args = p.parse_args()
    from bench.live.run import run

    try:
        run(options.from_args(args, p), shlex.join(["python", "-m", "bench.live", *sys.argv[1:]]))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


sys.exit(main())
