"""The live suite's section of RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.live import report_parts
from bench.machine import Machine
from bench.results_file import replace_section

if TYPE_CHECKING:
    from bench.live.options import Options
    from bench.live.parts import FeedResult, ReplicasResult, SpreadResult
    from bench.live.redis_capacity import Capacity
    from bench.live.run import FanOut
    from bench.live.steady import SteadyResult

HEADING = "## Live: one status event fanned out to many subscribers"
STEADY_HEADING = "## Live: requestAppointment to CONFIRMED on a subscription, steady rate"


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    options: Options
    open_files: int
    results: list[FanOut]
    steady: list[SteadyResult]
    spread: list[SpreadResult] = field(default_factory=list)
    feeds: list[FeedResult] = field(default_factory=list)
    replicas: list[ReplicasResult] = field(default_factory=list)
    capacity: list[Capacity] = field(default_factory=list)
    redis_version: str = ""


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of them at or below it."""
    rank = max(1, round(fraction * len(sorted_values) + 0.4999999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _spread(values: list[float]) -> str:
    return (
        f"{percentile(values, 0.5):,.0f} ms | {percentile(values, 0.99):,.0f} ms "
        f"| {values[-1]:,.0f} ms"
    )


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
        "| subscribers | commit → receipt p50 | p99 | max | mutation sent → receipt p50 | p99 "
        "| max | cancelAppointment answered in | the same, no subscriber "
        "| a query during the fan-out p50 / p99 (n) | API CPU, send → last receipt "
        "| machine busy, same window | load average (1, 5, 15 min) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        window = r.fanout_seconds
        lines.append(
            f"| {r.subscribers:,} | {_spread(r.commit_to_receipt_ms)} "
            f"| {_spread(r.sent_to_receipt_ms)} | {r.mutation_ms:,.0f} ms "
            f"| {r.mutation_alone_ms:,.0f} ms | {_queries(r.query_during_fanout_ms)} "
            f"| {r.api_cpu_seconds:.2f} s in {window:.2f} s ({r.api_cpu_seconds / window:.2f} "
            f"cores) | {r.machine_busy_seconds / window:.2f} cores | {r.load_average} |"
        )
    return "\n".join(lines)


def _queries(times: list[float]) -> str:
    if not times:
        return "none finished"
    return f"{percentile(times, 0.5):,.0f} / {percentile(times, 0.99):,.0f} ms ({len(times)})"


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
(`bench/live/subscribers.py`: asyncio protocols speaking RFC 6455 by hand, so that
reading a frame costs the generator little) open the websockets
between them, 50 handshakes in flight per process: graphql-transport-ws, the admin token in
the `connection_init` payload, one `appointmentStatus` subscription per socket to the
same appointment (`appointmentId status version occurredAt`), the client's keep-alive
pings off, permessage-deflate offered as browsers do (the server accepts it only when
configured to). Before the subscribers connect, the bench cancels another appointment
that nobody follows ("the same, no subscriber"). Once every subscription has
delivered the current state, the bench waits {2:g} s, reads the API's VmRSS, and cancels
the appointment with `cancelAppointment` over HTTP; the API commits, publishes to
Redis, and every subscription receives CANCELLED. Meanwhile a thread sends an ordinary
query (`appointment(id)`), one after the other, until the last receipt.

**Times.** Per subscriber, its receipt time (`time.time()` when the frame was read)
minus the event's `occurredAt` (the server's clock, same machine, taken just before the
commit: slightly earlier than the commit itself, so "commit → receipt" is a small
overestimate), and minus the time the bench sent the mutation (so it includes the
mutation's own work; the server publishes after the commit and before it answers, and
writes to the subscribers while the HTTP answer waits its turn, so the mutation's answer
time was not a usable start before the fan-out was moved off the mutation's path).
p50 / p99 over all subscribers; max is
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


def _steady_figures(r: SteadyResult) -> dict[str, list[float]]:
    decided = [q for q in r.requests if q.appointment_id in r.decisions]
    confirmed = [q for q in decided if r.decisions[q.appointment_id][0] == "CONFIRMED"]
    return {
        "requestAppointment answered": sorted((q.answered - q.sent) * 1000 for q in r.requests),
        "request sent → CONFIRMED received": sorted(
            (r.decisions[q.appointment_id][1] - q.sent) * 1000 for q in confirmed
        ),
        "answer → CONFIRMED received": sorted(
            (r.decisions[q.appointment_id][1] - q.answered) * 1000 for q in confirmed
        ),
    }


def _confirmed(r: SteadyResult) -> int:
    return sum(status == "CONFIRMED" for status, _ in r.decisions.values())


def steady_line(r: SteadyResult) -> str:
    figures = _steady_figures(r)["request sent → CONFIRMED received"]
    if not figures:
        return f"{len(r.requests)} requests, none CONFIRMED"
    return (
        f"{len(r.requests)} requests at {len(r.requests) / r.seconds:.1f}/s: request → "
        f"CONFIRMED received p50 {percentile(figures, 0.5):,.0f} ms "
        f"p99 {percentile(figures, 0.99):,.0f} ms"
    )


def _phase(r: SteadyResult) -> str:
    lines = [
        f"**{r.rate:g} requests/s.** Achieved {len(r.requests) / r.seconds:.1f} requests/s "
        f"(first send to last answer, {r.seconds:.1f} s); {len(r.requests):,} accepted, "
        f"{len(r.failures)} failed; {_confirmed(r):,} CONFIRMED, "
        f"{len(r.decisions) - _confirmed(r)} REJECTED (left out of the times); the sender's "
        f"own lateness against its schedule p50 {percentile(sorted(r.lateness), 0.5) * 1000:.1f} "
        f"ms, p99 {percentile(sorted(r.lateness), 0.99) * 1000:.1f} ms.",
        "",
        "| time | p50 | p99 | max | n |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in _steady_figures(r).items():
        if values:
            lines.append(f"| {name} | {_spread(values)} | {len(values):,} |")
    return "\n".join(lines)


def steady_section(run: Run) -> str:
    m = run.machine
    phases = "\n\n".join(_phase(r) for r in run.steady)
    return f"""{STEADY_HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {m.code}.

**Stack.** The write suite's full stack (`bench/write/stacks.py`) with `REDIS_URL` added:
`appointment-api serve` (one uvicorn process, `SQS_QUEUE_URL` set, rate limits off),
moto's SQS server, 2 `appointment-api worker` processes, a private Redis and PostgreSQL
(initdb's defaults), all on the same {m.cores} cores ({m.cpu_model}) as the bench;
{m.packages}.

**Load.** One admin websocket (graphql-transport-ws) subscribed to `appointmentEvents`
(every change) before the first request; then `requestAppointment` on an open loop, one
phase per rate, {run.options.steady_seconds:g} s each (httpx; request i leaves at
start + i/rate whatever the earlier answers), each for a distinct free slot
(`bench/write/schedule.py`), so each should be CONFIRMED. Times are from the moment a
request was sent to the moment its CONFIRMED event was read from the websocket
(`time.time()` on both ends, same process). Where the stack cannot keep up with a
rate on these cores, the answers and the decisions queue: the achieved rate falls
below the target and the times grow with the phase's length; the lower rate shows the
same path without that queueing.

{phases}

moto is a Python test double of SQS, much slower than SQS, and it, the workers, the API
and PostgreSQL share {m.cores} cores here: the times include that queueing. One run.
"""


def write(path: Path, run: Run) -> None:
    """Rewrite the section of each part that ran; the others stay."""
    if run.results:
        replace_section(path, HEADING, section(run))
    if run.steady:
        replace_section(path, STEADY_HEADING, steady_section(run))
    for text in sections_of_parts(run):
        replace_section(path, text.splitlines()[0], text)


def sections_of_parts(run: Run) -> list[str]:
    """The sections of the spread, feed, replicas and redis parts that ran."""
    return (
        ([report_parts.spread_section(run)] if run.spread else [])
        + ([report_parts.feed_section(run)] if run.feeds else [])
        + ([report_parts.replicas_section(run)] if run.replicas else [])
        + ([report_parts.capacity_section(run)] if run.capacity else [])
    )
