"""``python -m bench [read | write] [options]``: one suite, or both (read, then write)."""

import argparse
import shlex
import sys
from pathlib import Path

from bench import options as read_options
from bench.edge import options as edge_options
from bench.errors import BenchError
from bench.live import options as live_options
from bench.write import options as write_options

SUITES = ("read", "write", "live", "edge")
DESCRIPTIONS = {
    "read": "Read path: appointments(first: 20) pages and the frontends' other common reads "
    "from the API (memory and Redis rate limits), a bare Starlette + asyncpg floor and "
    "PostGraphile 4, on a private PostgreSQL with 1,000,000 appointments: peak by wrk, "
    "latency at half the peak from an open loop, a py-spy profile of the API.",
    "write": "Write path: requestAppointment and batches of 100 (closed loop, wrk), and the "
    "time from the answer to the decision at a steady rate (open loop), on the full stack "
    "(PostgreSQL, SQS, 2 workers) and in the embedded mode (PostgreSQL and SQLite).",
    "live": "Live status: one event fanned out to 1,000, 5,000 and 10,000 websocket "
    "subscribers of one API process through Redis; latency, memory per connection, CPU; "
    "events spread over 1,000 and 10,000 appointments; a psychologist's feed at 200 "
    "events/s; the fan-out across API replicas; what one Redis fans out. "
    "Only when named (not part of the default run).",
    "edge": "The edge: requests/s of refused abusive operations (deep, aliased, over cost) "
    "beside a normal query, and the normal query with the rate limits on and off. "
    "Only when named (not part of the default run).",
}


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quick", action="store_true", help="smoke run: small data, 3 s per case, no file"
    )
    p.add_argument("--duration", type=float, help="measured seconds per case (default 20)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per case (default 5)")
    p.add_argument(
        "--results",
        type=Path,
        metavar="FILE",
        help="the Markdown file whose section(s) to rewrite (default bench/RESULTS.md; a "
        "--quick run writes none unless given)",
    )


def parser_for(suite: str) -> argparse.ArgumentParser:
    if suite == "all":
        p = argparse.ArgumentParser(
            prog="python -m bench",
            usage="python -m bench [read | write] [options]",
            description="Runs both suites, read then write, with their defaults and the "
            "options below; `python -m bench read --help` and `python -m bench write --help` "
            "show each suite's own options. " + " ".join(DESCRIPTIONS.values()),
        )
    else:
        p = argparse.ArgumentParser(
            prog=f"python -m bench {suite}", description=DESCRIPTIONS[suite]
        )
    add_common(p)
    if suite == "read":
        read_options.add_arguments(p)
    elif suite == "write":
        write_options.add_arguments(p)
    elif suite == "live":
        live_options.add_arguments(p)
    elif suite == "edge":
        edge_options.add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    suite, rest = (argv[0], argv[1:]) if argv and argv[0] in (*SUITES, "all") else ("all", argv)
    p = parser_for(suite)
    args = p.parse_args(rest)
    command = shlex.join(["python", "-m", "bench", *argv])
    # Imported here: each suite pulls in what it needs only when it runs.
    from bench.run import run as run_read
    from bench.write.run import run as run_write

    try:
        if suite == "live":
            from bench.live.run import run as run_live

            run_live(live_options.from_args(args, p), command)
        if suite == "edge":
            from bench.edge.run import run as run_edge

            run_edge(edge_options.from_args(args), command)
        if suite in ("read", "all"):
            run_read(read_options.from_args(args, p), command)
        if suite in ("write", "all"):
            if suite == "all":
                # The write suite's own options at their defaults.
                defaults = parser_for("write").parse_args([])
                for name in ("quick", "duration", "warmup", "results"):
                    setattr(defaults, name, getattr(args, name))
                args = defaults
            run_write(write_options.from_args(args, p), command)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0
