"""The benchmark's section of RESULTS.md, rewritten on every full run; other sections stay."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.dataset import Sizes
from bench.load import API, API_REDIS, FLOOR, POSTGRAPHILE
from bench.machine import Machine
from bench.measurement import Measurement, by_key, cpu_ratio, ratio
from bench.operations import PAGE_QUERY, READ_QUERIES, SCHEDULE_QUERY, Case
from bench.postgraphile import peer
from bench.profile import Profile, Share
from bench.results_file import replace_section
from bench.steady import P99_OVER_P50_GOAL

HEADING = "## Read path: appointments(first: 20)"


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    sizes: Sizes
    database_mib: float
    generation: str
    depth: int
    warmup_seconds: float
    seconds: float
    connections: int
    threads: int
    cases: list[Case]
    results: list[Measurement]
    steady_seconds: float = 0.0
    profile: Profile | None = None
    profile_seconds: float = 0.0


def results_table(results: list[Measurement]) -> str:
    lines = [
        "| case | server | req/s | p50 ms | p99 ms | server CPU / req | PostgreSQL CPU / req "
        "| wrk CPU / req | other load | answer |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        lines.append(
            f"| {m.case} | {m.server} | {m.load.requests_per_second:,.0f} | {m.load.p50_ms:.2f} "
            f"| {m.load.p99_ms:.2f} | {m.server_cpu_ms:.2f} ms | {m.postgres_cpu_ms:.2f} ms "
            f"| {m.loadgen_cpu_ms:.2f} ms | {m.other_cores:.2f} cores | {m.answer_bytes:,} B |"
        )
    return "\n".join(lines)


def cases_of(results: list[Measurement]) -> list[str]:
    return list(dict.fromkeys(m.case for m in results))


def ratios_table(results: list[Measurement]) -> str:
    found = by_key(results)
    cases = cases_of(results)
    header = "| ratio | " + " | ".join(cases) + " |"
    lines = [header, "|---|" + "---:|" * len(cases)]
    rows = (
        ("requests/s, API ÷ floor", ratio, API, FLOOR),
        ("requests/s, API with Redis limits ÷ floor", ratio, API_REDIS, FLOOR),
        ("requests/s, API ÷ PostGraphile", ratio, API, POSTGRAPHILE),
        ("requests/s, PostGraphile ÷ floor", ratio, POSTGRAPHILE, FLOOR),
        ("server CPU per request, API ÷ floor", cpu_ratio, API, FLOOR),
        ("server CPU per request, API ÷ PostGraphile", cpu_ratio, API, POSTGRAPHILE),
    )
    for title, of, top, bottom in rows:
        cells = [of(found.get((c, top)), found.get((c, bottom))) for c in cases]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    servers = list(dict.fromkeys(m.server for m in results))
    pages = [c for c in cases if c.startswith("Q")]
    lines += ["", "| requests/s ratio | " + " | ".join(servers) + " |"]
    lines.append("|---|" + "---:|" * len(servers))
    for deep in pages[1:]:
        pair = [ratio(found.get((deep, s)), found.get((pages[0], s))) for s in servers]
        lines.append(f"| {deep} ÷ {pages[0]} | " + " | ".join(pair) + " |")
    return "\n".join(lines)


def steady_table(results: list[Measurement]) -> str:
    lines = [
        "| case | server | rate (½ peak) | p50 ms | p99 ms | p99 ÷ p50 | "
        f"≤ {P99_OVER_P50_GOAL:g}x | max ms | sender late by, at worst |",
        "|---|---|---:|---:|---:|---:|:-:|---:|---:|",
    ]
    for m in results:
        if m.steady is None:
            continue
        st = m.steady
        lines.append(
            f"| {m.case} | {m.server} | {st.rate:,.0f} req/s | {st.p50_ms:.2f} | {st.p99_ms:.2f} "
            f"| {st.tail_ratio:.1f} | {'yes' if st.meets_goal else 'no'} | {st.max_ms:.1f} "
            f"| {st.worst_send_lag_ms:.1f} ms |"
        )
    return "\n".join(lines)


def _share_rows(shares: list[Share]) -> list[str]:
    return [f"| {s.fraction:.1%} | `{s.name}` |" for s in shares]


def profile_tables(found: Profile) -> str:
    lines = ["| share of busy samples | layer (innermost frame) |", "|---:|---|"]
    lines += _share_rows(found.layers)
    lines += ["", "| share | spent in the function itself |", "|---:|---|"]
    lines += _share_rows(found.self_time)
    lines += ["", "| share | with the function on the stack |", "|---:|---|"]
    lines += _share_rows(found.inclusive)
    return "\n".join(lines)


def profile_section(run: Run) -> str:
    if run.profile is None:
        return "No profile in this run (`--profile-seconds 0`)."
    return f"""py-spy (`record --format raw --nonblocking`, 200 Hz) sampled the API process
(memory-storage limits) for {run.profile_seconds:g} s while wrk loaded it with Q1, after
the measured cases: {run.profile.samples:,} samples of the event loop's thread at work
(py-spy leaves out the samples where it waits), and {run.profile.other_threads:,} of the
process's other threads, counted apart. Shares are of the event loop's busy samples;
frames on nearly every stack (the server's own loop) are left out of the third table.

{profile_tables(run.profile)}"""


def section(run: Run) -> str:
    m, s = run.machine, run.sizes
    per_slot = s.appointments / s.slots
    case_lines = "\n".join(f"- **{c.name}**: {c.description}." for c in run.cases)
    reads = "\n".join(READ_QUERIES)
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {run.machine.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster on the same machine,
initdb's default settings. The load generator, PostgreSQL and the server under test
share the {m.cores} cores, so each one's CPU use slows the others. The machine was
shared: other work (test suites, other benchmarks) ran beside this one, as the "other
load" column shows; compare the ratios within this run, not figures across runs.

**Data.** {s.psychologists} psychologists, {s.patients:,} patients, {s.appointments:,}
appointments over two years ({s.slots:,} hourly start times, about {per_slot:.0f}
appointments per start time, so the id tie-break matters); {run.database_mib:,.0f} MiB
on disk, generated inside PostgreSQL ({run.generation}) and then VACUUM ANALYZEd. The
status history (appointment_events) is left empty: none of these queries reads it.

**Servers**, each one process:

- **API**: `appointment-api serve` (uvicorn) with the production defaults: metrics,
  query cost and depth/alias limits, rate limits on with memory storage (budgets too
  large for a run to spend, so the limiter counts every request and refuses none);
  admin token (no row scoping) except R5, asked with the patient's token. An SQS queue
  (moto) is configured, as in production, so no relay nor worker runs in its process.
- **API, Redis limits**: the same with `REDIS_URL` set to a private `redis-server`, so
  the limits are counted in Redis, as in a deployment of several processes.
- **floor**: `bench/floor_app.py` (Starlette + asyncpg + orjson under uvicorn with the
  same options): one SQL statement per connection level (joins, a row-value keyset
  bound, LATERAL for a nested page), no GraphQL parsing, no token check; R3's free slots
  from the domain's own `available_slots` on the calendars and busy times it reads.
- **PostGraphile** 4 (`bench/postgraphile/`: `postgraphile` and
  `postgraphile-plugin-connection-filter` at the versions locked there, Node
  {peer.node_version()}, `NODE_ENV=production`, no query log, no mutations), on the same
  database, for Q1-Q3 only: `allAppointments(orderBy: [SCHEDULED_AT_ASC, ID_ASC])` with
  the people through its relation fields, Q2 after its own cursor of row {run.depth:,},
  Q3 through the connection filter.

Before measuring, each case's `data` from the floor was checked equal to each API's (the
API may add `extensions`, such as the query's cost: see the answer sizes), PostGraphile's
rows checked the same as the floor's in the same order (ids and the people's names), and
the deep page's first row checked to be row {run.depth + 1:,}.

**Load.** wrk, {run.threads} threads, {run.connections} connections (keep-alive), the same
question to every server; per case and server {run.warmup_seconds:g} s of warm-up, then
{run.seconds:g} s measured (the peak; longer for a server that answered fewer than 16
requests in that time), then {run.steady_seconds:g} s at a constant half of that peak rate
from `bench/open_loop.py` (below; long enough for 16 requests at least); the servers
take turns case by case.
CPU per request is /proc's user + system time of the process (for PostgreSQL, all its
processes; for the load generator, wrk) over the measured seconds, divided by the
requests served; "other load" is the machine's busy time not spent by these three, in
cores: well above zero, something else competed for the cores during that case.

{case_lines}

```graphql
{PAGE_QUERY}
{SCHEDULE_QUERY}
{reads}
```

PostGraphile's forms of Q1-Q3:

```graphql
{peer.PAGE_QUERY}
{peer.SCHEDULE_QUERY}
```

### Peak (wrk, closed loop)

{results_table(run.results)}

{ratios_table(run.results)}

The server CPU per request moves least with the other load: where "other load" is high,
trust its ratio more than the requests/s one.

### Latency at half the peak rate (open loop)

wrk2 (wrk with a constant rate and latencies counted from each request's planned start)
is not packaged by Debian, and plain wrk is closed-loop: a slow answer holds back the
next request on its connection, so the queueing it causes is never seen. So each server
gets, after its peak, a constant half of the requests/s it reached, from
`bench/open_loop.py` (asyncio, its own process): request *i* leaves at start + *i*/rate
whatever the earlier answers did, on an idle keep-alive connection or a new one, and its
latency counts from its planned instant. The goal: p99 ≤ {P99_OVER_P50_GOAL:g}x p50.
"Sender late by" is how far behind its plan the generator fell at worst (its own CPU
shares the cores): a figure near the p99 means the generator, not the server, set it.

{steady_table(run.results)}

### Where the API's time goes (Q1)

{profile_section(run)}
"""


def write(path: Path, text: str) -> None:
    """Replace this benchmark's section of ``path``, keeping every other section."""
    replace_section(path, HEADING, text)
