"""The live suite's section of RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.machine import Machine
from bench.results_file import replace_section

if TYPE_CHECKING:
    from bench.live.options import Options
    from bench.live.run import FanOut

HEADING = "## Live: one status event fanned out to many subscribers"


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    options: Options
    open_files: int
    results: list[FanOut]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of them at or below it."""
    rank = max(1, round(fraction * len(sorted_values) + 0.4999999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _spread(values: list[float]) -> str:
    return f"{percentile(values, 0.5):,.0f} | {percentile(values, 0.99):,.0f} | {values[-1]:,.0f}"


def line(r: FanOut) -> str:
    c = r.commit_to_receipt_ms
    return (
        f"{r.subscribers:>6,}: connected in {r.connect_seconds:.1f} s; commit → receipt "
        f"p50 {percentile(c, 0.5):,.0f} ms p99 {percentile(c, 0.99):,.0f} ms "
        f"max {c[-1]:,.0f} ms; {r.kib_per_connection:.1f} KiB/connection; API CPU "
        f"{r.api_cpu_seconds:.2f} s over {r.fanout_seconds:.2f} s"
    )


def fanout_table(results: list[FanOut]) -> str:
    lines = [
        "| subscribers | commit → receipt p50 / p99 / max (ms) | answer → receipt p50 / p99 / "
        "max (ms) | cancelAppointment answered in | API CPU, send → last receipt | "
        "machine busy, same window |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        window = r.fanout_seconds
        lines.append(
            f"| {r.subscribers:,} | {_spread(r.commit_to_receipt_ms)} "
            f"| {_spread(r.answer_to_receipt_ms)} | {r.mutation_ms:,.0f} ms "
            f"| {r.api_cpu_seconds:.2f} s in {window:.2f} s ({r.api_cpu_seconds / window:.2f} "
            f"cores) | {r.machine_busy_seconds / window:.2f} cores |"
        )
    return "\n".join(lines).replace(" | ", " | ")


def connection_table(results: list[FanOut]) -> str:
    lines = [
        "| subscribers | API VmRSS before | after | per connection | connecting took "
        "| API CPU per subscription set up |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.subscribers:,} | {r.rss_before_kib / 1024:,.0f} MiB "
            f"| {r.rss_after_kib / 1024:,.0f} MiB | {r.kib_per_connection:.1f} KiB "
            f"| {r.connect_seconds:.1f} s "
            f"| {r.connect_cpu_seconds / r.subscribers * 1000:.2f} ms |"
        )
    return "\n".join(lines)


def section(run: Run) -> str:
    m, o = run.machine, run.options
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {m.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster with initdb's defaults
and the demo world (`appointment-api seed`); a private `redis-server` without
persistence. The API, PostgreSQL, Redis and the load generators share the {m.cores}
cores; open files limit raised to {run.open_files:,} for the run and its children.

**What runs.** For each size a fresh `appointment-api serve` (one uvicorn process,
`REDIS_URL` set so events go through Redis, `RATE_LIMITS_ENABLED=false` so that one
caller may open thousands of subscriptions). {o.generators} load-generator processes
(`bench/live/subscribers.py`, Python `websockets`, asyncio) open the websockets
between them, 100 handshakes at a time each: graphql-transport-ws, the admin token in
the `connection_init` payload, one `appointmentStatus` subscription per socket to the
same appointment (`appointmentId status version occurredAt`), the client's keep-alive
pings off, permessage-deflate offered as browsers do. Once every subscription has
delivered the current state, the bench waits {2:g} s, reads the API's VmRSS, and cancels
the appointment with `cancelAppointment` over HTTP; the API commits, publishes to
Redis, and every subscription receives CANCELLED.

**Times.** Per subscriber, its receipt time (`time.time()` when the frame was read)
minus the event's `occurredAt` (the server's clock, same machine, taken just before the
commit: slightly earlier than the commit itself, so "commit → receipt" is a small
overestimate), and minus the time the mutation's answer reached the bench (after the
commit and the publish: the fan-out from there). p50 / p99 over all subscribers; max is
the last subscriber. One event per size, so these are the spread of one fan-out, not
of repeated ones.

{fanout_table(run.results)}

**Memory and set-up.** VmRSS of the API process from /proc before the first
connection and {2:g} s after the last subscription delivered its first state, the
difference divided by the subscribers (websocket, protocol state, subscription task,
Redis listener entry, bounded buffer). CPU per subscription set up: the API's /proc
user + system time over the whole connecting phase ÷ subscribers (handshake, token
check, one read of the appointment's state each).

{connection_table(run.results)}

The load generators run on the same {m.cores} cores as the server: during the fan-out
they parse {max(r.subscribers for r in run.results):,} frames while the server writes
them, so receipt times include the generators' own queueing. One run on a shared
machine, other processes included ("machine busy" counts everything): compare sizes
within the run.
"""


def write(path: Path, text: str) -> None:
    replace_section(path, HEADING, text)
