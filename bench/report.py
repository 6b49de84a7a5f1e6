"""The benchmark's section of RESULTS.md, rewritten on every full run; other sections stay."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.dataset import Sizes
from bench.machine import Machine
from bench.measurement import Measurement, by_key, cpu_ratio, ratio
from bench.operations import PAGE_QUERY, SCHEDULE_QUERY, Case
from bench.results_file import replace_section

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


def ratios_table(results: list[Measurement]) -> str:
    found = by_key(results)
    cases = sorted({m.case for m in results})
    header = "| ratio | " + " | ".join(cases) + " |"
    lines = [header, "|---|" + "---:|" * len(cases)]
    per_case = [ratio(found.get((c, "API")), found.get((c, "floor"))) for c in cases]
    lines.append("| requests/s, API ÷ floor | " + " | ".join(per_case) + " |")
    cpu = [cpu_ratio(found.get((c, "API")), found.get((c, "floor"))) for c in cases]
    lines.append("| server CPU per request, API ÷ floor | " + " | ".join(cpu) + " |")
    lines += ["", "| requests/s ratio | API | floor |", "|---|---:|---:|"]
    for deep in cases[1:]:
        pair = [ratio(found.get((deep, s)), found.get((cases[0], s))) for s in ("API", "floor")]
        lines.append(f"| {deep} ÷ {cases[0]} | " + " | ".join(pair) + " |")
    return "\n".join(lines)


def section(run: Run) -> str:
    m, s = run.machine, run.sizes
    per_slot = s.appointments / s.slots
    case_lines = "\n".join(f"- **{c.name}**: {c.description}." for c in run.cases)
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {run.machine.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster on the same machine,
initdb's default settings. The load generator, PostgreSQL and the server under test
share the {m.cores} cores, so each one's CPU use slows the others.

**Data.** {s.psychologists} psychologists, {s.patients:,} patients, {s.appointments:,}
appointments over two years ({s.slots:,} hourly start times, about {per_slot:.0f}
appointments per start time, so the id tie-break matters); {run.database_mib:,.0f} MiB
on disk, generated inside PostgreSQL ({run.generation}) and then VACUUM ANALYZEd. The
status history (appointment_events) is left empty: none of these queries reads it.

**Servers.** API: `appointment-api serve`, one uvicorn process, as shipped (admin
token, so no row scoping). Floor: `bench/floor_app.py` (Starlette + asyncpg + orjson,
one SQL statement with joins, row-value keyset bound, no GraphQL parsing, no token check)
under one uvicorn process with the same options. Before measuring, each case's `data`
from the floor was checked equal to the API's (the API may add `extensions`, such as
the query's cost, which the floor does not: see the answer sizes), and the deep page's
first row checked to be row {run.depth + 1:,}.

**Load.** wrk, {run.threads} threads, {run.connections} connections (keep-alive), the
same POST body to both servers; per case {run.warmup_seconds:g} s of warm-up, then
{run.seconds:g} s measured; API and floor alternate case by case. CPU per request is
/proc's user + system time of the process (for PostgreSQL, all its processes) over the
measured seconds, divided by the requests served; "other load" is the machine's busy
time not spent by these three, in cores (other processes, interrupts, PostgreSQL
backends that exited during the case): well above zero, something else competed for the
cores during that case.

{case_lines}

```graphql
{PAGE_QUERY}
{SCHEDULE_QUERY}
```

{results_table(run.results)}

{ratios_table(run.results)}

One run's figures on a noisy {m.cores}-core machine: absolute numbers drift between
runs (±15% is usual here); compare the ratios within a run, not figures across runs.
The server CPU per request moves least with the other load: where "other load" is high,
trust its ratio more than the requests/s one.
"""


def write(path: Path, text: str) -> None:
    """Replace this benchmark's section of ``path``, keeping every other section."""
    replace_section(path, HEADING, text)
