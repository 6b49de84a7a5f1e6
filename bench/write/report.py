"""The write benchmark's section of RESULTS.md."""

from dataclasses import dataclass
from datetime import datetime

from bench.machine import Machine
from bench.write.cpu_use import LOAD_GENERATOR, OTHER, CpuUse
from bench.write.options import WriteOptions
from bench.write.phases import (
    BATCH,
    DRAIN_LIMIT_SECONDS,
    SINGLE,
    WARMUP_BATCHES_PER_CONNECTION,
    ClosedLoop,
    ModeResult,
    Operation,
    Steady,
)
from bench.write.requests import BATCH_MUTATION, REQUEST_MUTATION
from bench.write.schedule import PATIENTS_PER_PSYCHOLOGIST, SESSION_MINUTES, ZONES
from bench.write.stacks import WORKERS, Mode
from bench.write.stats import percentile
from bench.write.steady import BACKLOG_SECONDS

HEADING = "## Write path: requestAppointment, batches of 100, decisions"
PARTS = ("API", "workers", "SQS server", "PostgreSQL", LOAD_GENERATOR)
CONFIRMED = "CONFIRMED"


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    options: WriteOptions
    results: list[ModeResult]


def _closed(result: ModeResult, operation: Operation) -> ClosedLoop | None:
    return next((c for c in result.closed if c.operation == operation), None)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def throughput_table(results: list[ModeResult]) -> str:
    lines = [
        "| deployment | mutation | connections | requests/s | appointments/s | p50 ms "
        "| p99 ms | API | workers | SQS server | PostgreSQL | wrk | other load "
        "| 1 core ÷ API CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for c in result.closed:
            per = [
                f"{c.cpu.per_unit_ms(part, c.appointments):.2f}" if part in c.cpu.by_part else "-"
                for part in PARTS
            ]
            api_ms = c.cpu.per_unit_ms("API", c.appointments)
            ceiling = f"{1000 / api_ms:,.0f}" if api_ms else "-"
            lines.append(
                f"| {result.mode.value} | {c.operation.name} | {c.connections} "
                f"| {c.load.requests_per_second:,.1f} | {c.appointments_per_second:,.0f} "
                f"| {c.load.p50_ms:,.1f} | {c.load.p99_ms:,.1f} | "
                + " | ".join(per)
                + f" | {c.cpu.cores(OTHER):.2f} cores | {ceiling} |"
            )
    return "\n".join(lines)


def _cores(cpu: CpuUse) -> str:
    return ", ".join(
        f"{part} {cpu.cores(part):.2f}"
        for part in (*PARTS, OTHER)
        if part in cpu.by_part and part != LOAD_GENERATOR
    )


def decisions_table(results: list[ModeResult]) -> str:
    lines = [
        "| deployment | mutation | PENDING from the warm-up at the start "
        "| appointments created | PENDING when the load stopped | then waited "
        "| still PENDING after the wait | decisions/s over load + wait "
        "| CPU during the wait, cores |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        for c in result.closed:
            d = c.drain
            lines.append(
                f"| {result.mode.value} | {c.operation.name} | {d.pending_at_start:,} "
                f"| {d.created:,} | {d.pending_at_stop:,} | {d.seconds_after_stop:.1f} s "
                f"| {d.pending_after:,} | {c.decisions_per_second:,.0f} | {_cores(d.cpu)} |"
            )
    return "\n".join(lines)


def _waits(steady: Steady, *, committed: bool, status: str) -> list[float]:
    found = []
    for s in steady.run.samples:
        if s.status != status:
            continue
        at = s.committed if committed else s.decided_seen
        if at is not None:
            found.append(at - s.answered)
    return found


def _p50_p99(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{_ms(percentile(values, 50))} / {_ms(percentile(values, 99))}"


def _drift(steady: Steady) -> str:
    """Mutation p50 over the first and the last fifth of the phase: a rise means the
    deployment fell behind the offered rate and queued the requests."""
    ordered = sorted(steady.run.samples, key=lambda x: x.sent)
    fifth = max(1, len(ordered) // 5)
    first = percentile([x.latency for x in ordered[:fifth]], 50)
    last = percentile([x.latency for x in ordered[-fifth:]], 50)
    return f"{_ms(first)} → {_ms(last)}"


def kept_up(steady: Steady) -> bool:
    run = steady.run
    return run.stopped_after is None and run.achieved_rate >= 0.95 * run.rate


def _phases(results: list[ModeResult]) -> list[tuple[ModeResult, Steady]]:
    return [(r, s) for r in results for s in r.steady]


def steady_table(results: list[ModeResult]) -> str:
    lines = [
        "| deployment | offered requests/s | requests | achieved requests/s "
        "| mutation p50 / p99 ms | mutation p50, first → last fifth, ms "
        "| answer → CONFIRMED seen, p50 / p99 ms | answer → CONFIRMED committed, p50 / p99 ms "
        "| CONFIRMED / REJECTED | failed requests | send lag p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result, s in _phases(results):
        samples = s.run.samples
        seen = _waits(s, committed=False, status=CONFIRMED)
        committed = _waits(s, committed=True, status=CONFIRMED)
        confirmed = sum(1 for x in samples if x.status == CONFIRMED)
        rejected = sum(1 for x in samples if x.status not in (CONFIRMED, None))
        lines.append(
            f"| {result.mode.value} | {s.run.rate:g} | {len(samples):,} "
            f"| {s.run.achieved_rate:.1f} | {_p50_p99([x.latency for x in samples])} "
            f"| {_drift(s)} | {_p50_p99(seen)} "
            f"| {_p50_p99(committed) if result.mode.on_postgres else 'n/a (SQLite)'} "
            f"| {confirmed:,} / {rejected:,} "
            f"| {len(s.run.failures):,} | {_ms(percentile(s.run.lateness, 99))} |"
        )
    notes = (
        [
            f"- {r.mode.value} at {s.run.rate:g}/s: REJECTED answer → decision seen "
            f"p50 / p99 {_p50_p99(_waits(s, committed=False, status='REJECTED'))} ms"
            for r, s in _phases(results)
            if any(x.status == "REJECTED" for x in s.run.samples)
        ]
        + [
            f"- {r.mode.value} at {s.run.rate:g}/s: {len(s.run.failures):,} requests failed, "
            f"e.g. `{s.run.failures[0][:200]}`"
            for r, s in _phases(results)
            if s.run.failures
        ]
        + [
            f"- {r.mode.value} did not keep up with {s.run.rate:g} requests/s on the cores it "
            "had: the answers queued, so that row measures an overload"
            + (
                f" (sending stopped after {s.run.stopped_after:,} of {s.run.planned:,} "
                f"requests, once {BACKLOG_SECONDS:g} s of them waited for an answer)."
                if s.run.stopped_after is not None
                else "."
            )
            for r, s in _phases(results)
            if not kept_up(s)
        ]
    )
    return "\n".join(lines + (["", *notes] if notes else []))


def steady_cpu_table(results: list[ModeResult]) -> str:
    lines = [
        "| deployment | offered requests/s | API | workers | SQS server | PostgreSQL "
        "| load generator + poller | other load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result, s in _phases(results):
        cpu = s.cpu
        cells = [f"{cpu.cores(p):.2f}" if p in cpu.by_part else "-" for p in PARTS]
        lines.append(
            f"| {result.mode.value} | {s.run.rate:g} | "
            + " | ".join(cells)
            + f" | {cpu.cores(OTHER):.2f} |"
        )
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def ratios_table(results: list[ModeResult]) -> str:
    full = next((r for r in results if r.mode is Mode.FULL), None)
    if full is None:
        return "(the full stack was not measured in this run: no ratios)"
    rates = [s.run.rate for s in full.steady]
    lines = [
        "| ÷ full stack | requestAppointment req/s | batch appointments/s | "
        + " | ".join(f"answer → CONFIRMED seen p50 / p99 at {r:g}/s" for r in rates)
        + " |",
        "|---|---:|---:|" + "---:|" * len(rates),
    ]

    def rate(result: ModeResult, operation: Operation) -> float | None:
        found = _closed(result, operation)
        return found.appointments_per_second if found else None

    def waits(result: ModeResult, at: float) -> list[float]:
        found = next((s for s in result.steady if s.run.rate == at), None)
        return _waits(found, committed=False, status=CONFIRMED) if found else []

    for result in results:
        if result.mode is Mode.FULL:
            continue
        cells = []
        for at in rates:
            mine, theirs = waits(result, at), waits(full, at)
            if mine and theirs:
                p50 = _ratio(percentile(mine, 50), percentile(theirs, 50))
                p99 = _ratio(percentile(mine, 99), percentile(theirs, 99))
                cells.append(f"{p50} / {p99}")
            else:
                cells.append("n/a")
        lines.append(
            f"| {result.mode.value} | {_ratio(rate(result, SINGLE), rate(full, SINGLE))} "
            f"| {_ratio(rate(result, BATCH), rate(full, BATCH))} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def outcomes_lines(results: list[ModeResult]) -> str:
    lines = []
    for result in results:
        parts = ", ".join(
            f"{status} {count:,}" for status, count in sorted(result.outcomes.items())
        )
        lines.append(f"- {result.mode.value}: {parts}")
    return "\n".join(lines)


def tables(run: Run) -> str:
    return "\n\n".join(
        [
            throughput_table(run.results),
            decisions_table(run.results),
            steady_table(run.results),
            steady_cpu_table(run.results),
            ratios_table(run.results),
            outcomes_lines(run.results),
        ]
    )


def section(run: Run) -> str:
    m, o = run.machine, run.options
    modes = "\n".join(f"- **{mode.value}**: {mode.label}." for mode in o.modes)
    rates = " and ".join(f"{rate:g}" for rate in o.rates)
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {run.machine.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster on the same machine.
Everything (load generator, API, workers, SQS server, PostgreSQL) shares the {m.cores}
cores, and other work may run beside it ("other load" below): compare figures within
one run.

**Deployments.** Every phase below (each mutation's throughput, each steady rate) runs
on a fresh deployment: an empty database (a new PostgreSQL database in the one cluster,
or a new SQLite file), and for the full stack a new SQS server and new workers, so no
phase inherits another's rows, backlog or queue state (moto, unlike SQS, slows down as
it accumulates messages). Every setting at its default (one uvicorn process, WORKER_CONCURRENCY=2, RELAY_IDLE_SECONDS=0.1, database
pool 10 + 10 overflow, INFO logs to a file):

{modes}

In the full stack `appointment-api serve` only answers; each of the {WORKERS}
`appointment-api worker` processes relays the outbox (polling it every 0.1 s, as it
learns of new rows only that way) and decides. Queues made by `appointment-api queues
create` on moto's server.

**Requests.** {o.psychologists} psychologists in {len(ZONES)} time zones
({", ".join(ZONES)}), working Monday to Friday 08:00-12:00 and 13:00-20:00 and Saturday
08:00-12:00, local time. Every request (an admin token, with the patient's profile;
{PATIENTS_PER_PSYCHOLOGIST} patients per psychologist, each always with the same
psychologist) asks for a {SESSION_MINUTES}-minute session in a slot no other request
of the run asked for, 3 to 170 days ahead: all are valid and should end CONFIRMED.
Consecutive requests, and the items of a batch, go to different psychologists (so to
different SQS message groups).

```graphql
{REQUEST_MUTATION}
{BATCH_MUTATION}
```

### Throughput (closed loop)

wrk, {o.threads} threads; {o.connections} connections for `requestAppointment`,
{o.batch_connections} for batches of 100; a different body on every request. Per
deployment and mutation: {o.warmup:g} s of warm-up (batches: at most
{WARMUP_BATCHES_PER_CONNECTION} per connection), a wait for its decisions (at most
{DRAIN_LIMIT_SECONDS:g} s), then {o.duration:g} s measured. The decisions are taken
while the load runs, on the same cores. CPU is per appointment created (a batch counts 100), over the
measured seconds, from /proc; "other load" is the machine's busy time not spent by
the parts listed, in cores. "1 core ÷ API CPU" is the appointments/s one API process
could take with a core to itself at that CPU cost (in the embedded mode that process
also relays and decides; in the full stack it does neither). Any answer with a user
error or a GraphQL error stops the run.

{throughput_table(run.results)}

What the decisions behind that load looked like: appointments created during the
measured seconds (with requests in flight when wrk stopped), how many were PENDING
when it stopped, and a wait of at most {DRAIN_LIMIT_SECONDS:g} s for the rest to be
decided (the same bounded wait follows the warm-up, so a measured load may start with
some of the warm-up's decisions still to take).

{decisions_table(run.results)}

### From the answer to CONFIRMED, at a steady {rates} requests/s

An open loop in Python (httpx, asyncio): at a rate r, request i leaves at start + i/r s,
whatever the earlier answers; {o.steady_seconds:g} s of requests per rate, each phase
after the backlog of the phases before it is decided. {o.rates[0]:g}/s is the rate
asked for; a lighter rate shows the same path without queueing when the deployment
cannot take the heavier one on the cores it gets here. Each answered appointment is watched: every
{o.poll_ms:g} ms one query reads the status of all those still watched, and the time
that query began is when the decision was *seen* (the commit came before it and after
the previous poll, so "seen" is late by at most one poll interval plus one query). On
PostgreSQL the decision's exact *commit* time is also read afterwards
(`pg_xact_commit_timestamp` of the row, with track_commit_timestamp on); it can come
before the answer reaches the client. Both are measured from the moment the client had
the answer, with the same clock.

{steady_table(run.results)}

CPU in cores (seconds of CPU per second) over each steady phase:

{steady_cpu_table(run.results)}

### Embedded ÷ full stack

{ratios_table(run.results)}

### Final status of every appointment created

{outcomes_lines(run.results)}

One run's figures on a small, shared machine: the load generator, the API, the
workers, the SQS server and the database compete for the same {m.cores} cores, so a
full stack that would spread over machines is measured here at a disadvantage; moto
is a test double in Python, far slower than SQS itself; the relay's 0.1 s poll bounds
the full stack's decision time from below. Compare within the run.
"""
