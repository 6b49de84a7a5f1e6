"""The sections of RESULTS.md of the spread, feed and replicas parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.live.pacing import achieved_rate, percentile, spread

if TYPE_CHECKING:
    from bench.live.parts import FeedResult, ReplicasResult, SpreadResult, Window
    from bench.live.redis_capacity import Capacity
    from bench.live.report import Run

SPREAD_HEADING = "## Live: events spread over many appointments, one subscriber each"
FEED_HEADING = "## Live: a psychologist's appointmentEvents feed at a steady rate"
REPLICAS_HEADING = "## Live: one event fanned out across API replicas behind Redis"
CAPACITY_HEADING = "## Live: what one Redis fans out (PUBLISH to N subscribed connections)"


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} µs"


def _window(w: Window) -> str:
    return (
        f"{w.api_cpu_seconds:.2f} s API CPU in {w.seconds:.2f} s "
        f"({w.api_cpu_seconds / w.seconds:.2f} cores; idle before: "
        f"{w.api_idle_cores:.2f}); machine busy "
        f"{w.machine_busy_seconds / w.seconds:.2f} cores"
    )


def _redis(w: Window) -> str:
    r = w.redis
    return (
        f"{r.publishes:,} | {r.cpu_seconds * 1000:,.0f} ms | {_us(r.cpu_us_per_publish())} "
        f"| {_us(r.command_us_per_publish())}"
    )


def _header(run: Run) -> str:
    m = run.machine
    return (
        f"Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {m.code}; "
        f"{m.cores} cores ({m.cpu_model}) shared by the API(s), PostgreSQL, Redis "
        f"{run.redis_version} (a private `redis-server`, no persistence) and the load "
        f"generators; {m.packages}."
    )


SOURCES = {"api": "cancelAppointment", "publish": "published to Redis"}

REDIS_NOTE = (
    "Redis columns: PUBLISH calls in the window (`INFO commandstats`; each event is "
    "published on its 4 channels in one pipeline: the appointment's, the patient's, the "
    "psychologist's and every event's), Redis' own CPU in the window (`INFO cpu`, user + "
    "system, main thread: reading, the commands, writing to the subscribed connections), "
    "that CPU per PUBLISH, and the time inside PUBLISH itself per call."
)


def spread_line(r: SpreadResult) -> str:
    s = spread(r.commit_to_receipt_ms)
    return (
        f"{r.subscribers:>6,} appointments ({r.source}) at {r.rate:g}/s: commit → receipt p50 {s.p50:,.0f} ms "
        f"p99 {s.p99:,.0f} ms max {s.max:,.0f} ms; {_window(r.window)}"
    )


def spread_section(run: Run) -> str:
    rows = [
        "| source | subscribers = appointments | events/s planned | achieved | commit → receipt "
        "p50 | p99 | max | answered (cancelAppointment, or PUBLISH) p50 / p99 | sender late p99 "
        "| API and machine, first send → last receipt | PUBLISH calls | Redis CPU "
        "| Redis CPU per PUBLISH | inside PUBLISH per call |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.spread:
        c = r.cancellations
        answers = sorted((x.answered - x.sent) * 1000 for x in c.done)
        rows.append(
            f"| {SOURCES[r.source]} | {r.subscribers:,} | {r.rate:g} | {achieved_rate([x.sent for x in c.done]):.1f} "
            f"| {spread(r.commit_to_receipt_ms).text()} "
            f"| {percentile(answers, 0.5):,.0f} / {percentile(answers, 0.99):,.0f} ms "
            f"| {percentile(sorted(c.lateness), 0.99) * 1000:,.0f} ms "
            f"| {_window(r.window)} | {_redis(r.window)} |"
        )
    table = "\n".join(rows)
    return f"""{SPREAD_HEADING}

{_header(run)}

**What runs.** The bench makes its own appointments: the read suite's generator
(`bench/dataset.py`) on a database of its own, every slot from two days ahead, and
takes PENDING and CONFIRMED ones of psychologists other than the feed's. For each size
a fresh `appointment-api serve` (one uvicorn process, `REDIS_URL` set, rate limits
off, no SQS queue: the embedded mode, so the outbox relay and the worker run inside the
API process and its CPU includes the notices of each cancellation; each API starts with
what earlier parts left in the outbox marked dispatched, so that it works off only its
own part's); {run.options.generators} subscriber processes (`bench/live/subscribers.py`) open
one websocket per appointment (graphql-transport-ws, admin token, one
`appointmentStatus` subscription each, a different appointment for every socket). Once
every subscription has delivered its first state, every one of those appointments is
cancelled on an open loop at the planned rate (event i leaves at start + i/rate
whatever the earlier ones did), from one of two sources (as in the feed part below):
`cancelAppointment` over HTTP (httpx), the real path, where the API's own mutation
work shares its core with the fan-out; or the same CANCELLED event built from the
appointment's row and published straight to Redis by the app's own publisher, which
measures the fan-out of many distinct events alone, at a higher rate. Each subscriber
gets exactly one event, CANCELLED, of its own appointment. Per event:
receipt time (`time.time()` when its frame was read) minus the event's `occurredAt`
(the server's clock, just before the commit). The goal (issue 12): p99 ≤ 500 ms at
10,000, ≤ 100 ms at 1,000.

{table}

{REDIS_NOTE}
"""


def feed_line(r: FeedResult) -> str:
    delays = r.delays_ms
    if not delays:
        return f"feed ({r.source}) at {r.rate:g}/s: nothing received"
    s = spread(delays)
    return (
        f"feed ({r.source}) at {r.rate:g}/s: {len(r.events):,} received of {len(r.cancellations.done):,} "
        f"sent; delay p50 {s.p50:,.0f} ms p99 {s.p99:,.0f} ms max {s.max:,.0f} ms"
    )


def halves_p99(r: FeedResult) -> str:
    """Delay p99 of the first and the second half of the events, by send order."""
    ordered = sorted(r.events, key=lambda e: e.occurred_at)
    half = len(ordered) // 2
    if half == 0:
        return "n/a"
    first = sorted((e.received - e.occurred_at) * 1000 for e in ordered[:half])
    second = sorted((e.received - e.occurred_at) * 1000 for e in ordered[half:])
    return f"{percentile(first, 0.99):,.0f} / {percentile(second, 0.99):,.0f} ms"


def feed_section(run: Run) -> str:
    rows = [
        "| source | events/s planned | sent | failed | achieved/s | received | missing "
        "| delay p50 | p99 | max | p99 first half / second half "
        "| received/s | answered (cancelAppointment, or PUBLISH) p50 / p99 | sender late p99 "
        "| API and machine | PUBLISH calls | Redis CPU | Redis CPU per PUBLISH "
        "| inside PUBLISH per call |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.feeds:
        c = r.cancellations
        answers = sorted((x.answered - x.sent) * 1000 for x in c.done)
        delays = r.delays_ms
        figures = spread(delays).text() if delays else "n/a | n/a | n/a"
        rows.append(
            f"| {SOURCES[r.source]} | {r.rate:g} | {len(c.done):,} | {len(c.failures)} "
            f"| {achieved_rate([x.sent for x in c.done]):.1f} "
            f"| {len(r.events):,} | {r.missing:,} | {figures} | {halves_p99(r)} "
            f"| {achieved_rate([e.received for e in r.events]):.1f} "
            f"| {percentile(answers, 0.5):,.0f} / {percentile(answers, 0.99):,.0f} ms "
            f"| {percentile(sorted(c.lateness), 0.99) * 1000:,.0f} ms "
            f"| {_window(r.window)} | {_redis(r.window)} |"
        )
    table = "\n".join(rows)
    return f"""{FEED_HEADING}

{_header(run)}

**What runs.** One `appointment-api serve` (`REDIS_URL` set, rate limits off) on the
bench's own appointments (see the spread part). A listener process
(`bench/live/feed_listener.py`, the `websockets` client) subscribes to
`appointmentEvents` with the token of the psychologist `{"psychologist-0"}` and no
argument: their own schedule, the feed a psychologist's screen keeps open. A first
cancellation (not counted) proves the subscription is live; then, on an open loop at
the planned rate for {run.options.feed_seconds:g} s, one CANCELLED event per
appointment of that psychologist (PENDING or CONFIRMED ones), from one of two sources,
each with a fresh API:

- **cancelAppointment**: the real path, `cancelAppointment` over HTTP (admin token):
  the API commits, publishes on the event's channels through Redis, and renders it for
  the feed. Where the API cannot commit that many cancellations per second on these
  cores, the sends fall behind (achieved/s) and the answers queue;
- **published to Redis**: the bench builds the same CANCELLED event from the
  appointment's row and publishes it with the app's own publisher
  (`ChannelStatusEvents` over `RedisEventStream`, what the API and the worker call after
  a commit), without the database: the feed's side alone at the planned rate.

"Sent" counts the events that went out (cancellations answered CANCELLED); "failed",
the requests that did not get an answer (the transport error is logged by the run).
Delay: receipt (`time.time()`) minus the event's `occurredAt` (for the second source,
the instant just before publishing). "Missing": events sent whose delivery the feed
did not see within 60 s of the last send. The feed keeps up when it receives them all
at the rate they were sent and the delay does not grow from the first half to the
second.

{table}

{REDIS_NOTE}
"""


def replicas_line(r: ReplicasResult) -> str:
    parts = "; ".join(
        f"replica {i}: p50 {spread(v).p50:,.0f} ms p99 {spread(v).p99:,.0f} ms"
        for i, v in enumerate(r.commit_to_receipt_ms)
    )
    return f"{len(r.commit_to_receipt_ms)} x {r.per_replica:,} subscribers: {parts}"


def replicas_section(run: Run) -> str:
    rows = [
        "| APIs | subscribers per API | replica | commit → receipt p50 | p99 | max "
        "| cancelAppointment answered in | the APIs, first send → last receipt "
        "| PUBLISH calls | Redis CPU | Redis CPU per PUBLISH | inside PUBLISH per call |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.replicas:
        for i, values in enumerate(r.commit_to_receipt_ms):
            role = "0 (took the mutation)" if i == 0 else f"{i} (through Redis only)"
            rows.append(
                f"| {len(r.commit_to_receipt_ms)} | {r.per_replica:,} | {role} | {spread(values).text()} "
                f"| {r.mutation_ms:,.0f} ms | {_window(r.window)} | {_redis(r.window)} |"
            )
    table = "\n".join(rows)
    return f"""{REPLICAS_HEADING}

{_header(run)}

**What runs.** One, then two `appointment-api serve` processes (one uvicorn process
each, `REDIS_URL` pointing at the same private `redis-server`, rate limits off) on one
database (the bench's own appointments, see the spread part), a fresh set per run and a
different appointment each time. One subscriber process
per replica opens the subscribers on it, every one subscribed (`appointmentStatus`) to
the same appointment; once all have their first state, the bench cancels that
appointment through replica 0. Replica 0 publishes to Redis after its commit; each
replica's one Redis connection in subscribe mode receives the message and fans it out
to its own websockets. Commit → receipt per subscriber as in the one-process fan-out
above. One event per run: the spread of one fan-out.

{table}

{REDIS_NOTE}
"""


def capacity_line(c: Capacity) -> str:
    return (
        f"{c.subscribers:>3} subscriber(s): {c.publishes_per_second:,.0f} PUBLISH/s, "
        f"{c.deliveries_per_second:,.0f} deliveries/s; Redis "
        f"{c.redis.cpu_seconds / c.seconds:.2f} cores, "
        f"{_us(c.redis.cpu_us_per_publish())} per PUBLISH, {c.cpu_us_per_delivery:.2f} µs "
        "per delivery"
    )


def capacity_section(run: Run) -> str:
    from bench.live.redis_capacity import CLIENTS, PAYLOAD, PIPELINE

    rows = [
        "| subscribed connections | PUBLISH calls | seconds | PUBLISH/s | deliveries/s "
        "| Redis CPU (cores, above idle) | Redis CPU per PUBLISH | per delivery "
        "| inside PUBLISH per call | deliveries/s one Redis core would make at that cost |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in run.capacity:
        rows.append(
            f"| {c.subscribers} | {c.redis.publishes:,} | {c.seconds:.2f} "
            f"| {c.publishes_per_second:,.0f} | {c.deliveries_per_second:,.0f} "
            f"| {c.redis.cpu_seconds / c.seconds:.2f} | {_us(c.redis.cpu_us_per_publish())} "
            f"| {c.cpu_us_per_delivery:.2f} µs | {_us(c.redis.command_us_per_publish())} "
            f"| {1e6 / c.cpu_us_per_delivery:,.0f} |"
        )
    table = "\n".join(rows)
    return f"""{CAPACITY_HEADING}

{_header(run)}

**What runs.** The suite's private `redis-server`. N `redis-cli SUBSCRIBE` processes
on one channel stand for N API replicas (each replica holds one Redis connection in
subscribe mode, whatever its number of websockets); `redis-benchmark` ({CLIENTS}
connections, pipelines of {PIPELINE}) sends `PUBLISH` of {len(PAYLOAD)} bytes (about one
encoded status event) as fast as Redis takes them. Both are C programs, so that Redis
is what saturates, not a Python client; they still share the cores with Redis. Redis'
CPU from `INFO cpu` (main thread, user + system) minus its idle CPU measured just
before; "inside PUBLISH" from `INFO commandstats` (the command's own time, matching the
channel and queueing the message for each subscriber; the writes to the sockets come
after, in the event loop, and count only in the CPU column). Deliveries: PUBLISH calls
times subscribed connections.

{table}
"""
