"""The write benchmark's section of RESULTS.md."""

from dataclasses import dataclass
from datetime import datetime

from bench.machine import Machine
from bench.write.cpu_use import LOAD_GENERATOR, OTHER
from bench.write.options import WriteOptions
from bench.write.phases import API, OPERATIONS, Closed, Steady
from bench.write.requests import BATCH_MUTATION, REQUEST_MUTATION
from bench.write.schedule import PATIENTS_PER_PSYCHOLOGIST, SESSION_MINUTES, ZONES
from bench.write.stacks import FLOOR
from bench.write.stats import percentile
from bench.write.steady import BACKLOG_SECONDS

HEADING = "## Write path: requestAppointment against a bare floor, and the full stack"
STACK_PARTS = ("moto", "workers", "APIs", "PostgreSQL", "Redis", LOAD_GENERATOR, OTHER)
CONFIRMED = "CONFIRMED"
# The goals the issue sets.
RATIO_GOAL = 0.8
HALF_PEAK_P99_GOAL_MS = 50.0
DECISION_P99_GOAL_MS = 250.0


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    options: WriteOptions
    closed: list[Closed]
    half_peak: Steady | None
    stack: Steady | None
    # Appointments by final status, per phase.
    outcomes: dict[str, dict[str, int]]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _pair(closed: list[Closed], name: str) -> tuple[Closed | None, Closed | None]:
    api = next((c for c in closed if c.operation.name == name and c.server == API), None)
    floor = next((c for c in closed if c.operation.name == name and c.server == FLOOR), None)
    return api, floor


def floor_table(closed: list[Closed]) -> str:
    lines = [
        "| mutation | server | requests/s | appointments/s | p50 ms | p99 ms "
        "| server CPU ms/request | PostgreSQL CPU ms/request | Redis CPU ms/request "
        "| other load (cores) | API ÷ floor (requests/s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for operation in OPERATIONS:
        api, floor = _pair(closed, operation.name)
        ratio = (
            f"**{api.load.requests_per_second / floor.load.requests_per_second:.2f}**"
            if api and floor and floor.load.requests_per_second
            else "-"
        )
        for c in (api, floor):
            if c is None:
                continue
            lines.append(
                f"| {operation.name} | {c.server} | {c.load.requests_per_second:,.1f} "
                f"| {c.appointments_per_second:,.0f} | {c.load.p50_ms:.1f} | {c.load.p99_ms:.1f} "
                f"| {c.cpu_ms_per_request():.2f} | {c.cpu_ms_per_request('PostgreSQL'):.2f} "
                f"| {c.cpu_ms_per_request('Redis'):.2f} | {c.cpu.cores(OTHER):.2f} "
                f"| {ratio if c.server == API else ''} |"
            )
    return "\n".join(lines)


def half_peak_table(half: Steady, peak: float) -> str:
    latencies = [s.latency for s in half.run.samples]
    p99 = percentile(latencies, 99) * 1000
    met = "met" if p99 <= HALF_PEAK_P99_GOAL_MS else "**not met**"
    api_ms = half.cpu.per_unit_ms("APIs", len(half.run.samples))
    return "\n".join(
        [
            "| API peak req/s | offered req/s | achieved req/s | answers | failed "
            "| p50 ms | p99 ms | goal p99 ≤ 50 ms | API CPU ms/request |",
            "|---:|---:|---:|---:|---:|---:|---:|---|---:|",
            f"| {peak:,.1f} | {half.run.rate:,.1f} | {half.run.achieved_rate:,.1f} "
            f"| {len(half.run.samples):,} | {len(half.run.failures)} "
            f"| {percentile(latencies, 50) * 1000:.1f} | {p99:.1f} | {met} | {api_ms:.2f} |",
        ]
    )


def _waits(steady: Steady, *, committed: bool) -> list[float]:
    found = []
    for s in steady.run.samples:
        if s.status != CONFIRMED:
            continue
        at = s.committed if committed else s.decided_seen
        if at is not None:
            found.append(at - s.answered)
    return found


def _p50_p99(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{_ms(percentile(values, 50))} / {_ms(percentile(values, 99))}"


def backlog_line(steady: Steady) -> str:
    """The backlog (answered, not yet seen decided) at each quarter of the sending time,
    its peak, and its growth over the second half of the sending: ~0 when the stack keeps
    up, the shortfall in appointments/s when it does not."""
    run = steady.run
    sending = len(run.samples) / run.rate if run.rate else run.seconds
    points = [(t, n) for t, n in run.backlog if t <= sending]
    if not points:
        return "no backlog samples"

    def at(fraction: float) -> int:
        return min(points, key=lambda p: abs(p[0] - fraction * sending))[1]

    half = [(t, n) for t, n in points if t >= sending / 2]
    growth = (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) if len(half) > 1 else 0.0
    peak = max(n for _, n in run.backlog)
    quarters = ", ".join(f"{at(f):,}" for f in (0.25, 0.5, 0.75, 1.0))
    return (
        f"backlog at 25/50/75/100 % of the sending time: {quarters} appointments; peak "
        f"{peak:,}; growth over the second half: {growth:+,.1f} appointments/s"
    )


def stack_table(steady: Steady) -> str:
    run = steady.run
    committed = _waits(steady, committed=True)
    p99 = percentile(committed, 99) * 1000 if committed else float("nan")
    met = "met" if committed and p99 <= DECISION_P99_GOAL_MS else "**not met**"
    kept = run.stopped_after is None and run.achieved_rate >= 0.95 * run.rate
    return "\n".join(
        [
            "| offered req/s | achieved req/s | kept up | answers | failed "
            "| answer p50 / p99 ms | answer → CONFIRMED committed p50 / p99 ms "
            "| goal p99 ≤ 250 ms | answer → CONFIRMED seen p50 / p99 ms |",
            "|---:|---:|---|---:|---:|---:|---:|---|---:|",
            f"| {run.rate:g} | {run.achieved_rate:,.1f} | {'yes' if kept else '**no**'} "
            f"| {len(run.samples):,} | {len(run.failures)} "
            f"| {_p50_p99([s.latency for s in run.samples])} | {_p50_p99(committed)} | {met} "
            f"| {_p50_p99(_waits(steady, committed=False))} |",
        ]
    )


def stack_cpu_table(steady: Steady) -> str:
    appointments = len(steady.run.samples)
    cpu = steady.cpu
    lines = [
        "| | " + " | ".join(STACK_PARTS) + " |",
        "|---|" + "---:|" * len(STACK_PARTS),
        "| CPU ms per appointment | "
        + " | ".join(f"{cpu.per_unit_ms(part, appointments):.2f}" for part in STACK_PARTS)
        + " |",
        "| cores (CPU s per s) | "
        + " | ".join(f"{cpu.cores(part):.2f}" for part in STACK_PARTS)
        + " |",
    ]
    return "\n".join(lines)


def outcomes_lines(outcomes: dict[str, dict[str, int]]) -> str:
    return "\n".join(
        f"- {phase}: " + ", ".join(f"{status} {count:,}" for status, count in sorted(found.items()))
        for phase, found in outcomes.items()
    )


def api_peak(closed: list[Closed]) -> float:
    api, _ = _pair(closed, OPERATIONS[0].name)
    return api.load.requests_per_second if api else 0.0


def tables(run: Run) -> str:
    parts = []
    if run.closed:
        parts.append(floor_table(run.closed))
    if run.half_peak is not None:
        parts.append(half_peak_table(run.half_peak, api_peak(run.closed)))
    if run.stack is not None:
        parts += [stack_table(run.stack), backlog_line(run.stack), stack_cpu_table(run.stack)]
    parts.append(outcomes_lines(run.outcomes))
    return "\n\n".join(parts)


def section(run: Run) -> str:
    m, o = run.machine, run.options
    answering = (
        f"""### The API against the bare floor (closed loop)

One `appointment-api serve` (SQS configured, so it only answers: no relay, no worker in
it) and the floor (`bench/floor_app.py`, `POST /requests`: Starlette + asyncpg, the
same checks by the same domain functions, the same rows by the same row and payload
builders, in one transaction: idempotency keys, calendars, CONFIRMED sessions, patient
found or added, PENDING count under a key-share lock, appointment, first status event
under the event-order lock, outbox rows for the decision and for the notice; the same
JSON answer, the token checked) on one database, Redis and SQS server, with no worker
running: nothing else competes for the cores. Per mutation, the API then the floor:
{o.warmup:g} s of warm-up, then {o.duration:g} s measured with wrk ({o.threads} threads,
{o.connections} connections for single requests, {o.batch_connections} for batches), a
different body on every request. CPU per request from /proc over the measured seconds;
"other load" is the machine's busy time not spent by the parts listed. Any answer with
a user error or a GraphQL error stops the run. Goal: API ≥ {RATIO_GOAL} times the floor.

{floor_table(run.closed)}
"""
        if run.closed
        else ""
    )
    half = (
        f"""### requestAppointment at half the API's peak (open loop)

The same deployment, {o.half_peak_seconds:g} s at half the requests/s the API reached
above for single requests; an open loop in Python (httpx, asyncio): request i leaves at
start + i/r s, whatever the earlier answers. Goal: p99 ≤ {HALF_PEAK_P99_GOAL_MS:g} ms.

{half_peak_table(run.half_peak, api_peak(run.closed))}
"""
        if run.half_peak is not None
        else ""
    )
    stack = (
        f"""### The full stack at {o.stack_rate:g} requests/s

A fresh stack from the launcher (`tests/support/launcher.py`): two `appointment-api
serve`, two `appointment-api worker` (relay, consumer and dead-letter sweeper each),
PostgreSQL, Redis and moto's SQS server, every setting at its default. The open loop
sends {o.stack_seconds:g} s of single requests at {o.stack_rate:g}/s to the two APIs in
turn; sending stops if {BACKLOG_SECONDS:g} s of requests wait for their answers. Every
{o.poll_ms:g} ms one query reads the status of the answered appointments not yet seen
decided; afterwards the exact commit time of each decision is read
(`pg_xact_commit_timestamp`, track_commit_timestamp on). Both are measured from the
moment the client had the answer, with the same clock. Goal: committed p99 ≤
{DECISION_P99_GOAL_MS:g} ms, no backlog growth.

{stack_table(run.stack)}

{backlog_line(run.stack)}.

CPU of each part over the phase (sending and the decisions after it), per appointment
answered, and in cores:

{stack_cpu_table(run.stack)}
"""
        if run.stack is not None
        else ""
    )
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {run.machine.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster on the same machine,
initdb's durability defaults. Everything (load generator, APIs, floor, workers, moto,
PostgreSQL, Redis) shares the {m.cores} cores, and the machine is shared with other work
("other load"): compare figures within one run.

**Requests.** {o.psychologists} psychologists in {len(ZONES)} time zones
({", ".join(ZONES)}), working Monday to Friday 08:00-12:00 and 13:00-20:00 and Saturday
08:00-12:00, local time. Every request (an admin token, with the patient's profile and
an idempotency key; {PATIENTS_PER_PSYCHOLOGIST} patients per psychologist, each always
with the same psychologist) asks for a {SESSION_MINUTES}-minute session in a slot no
other request of the run asked for, 3 to 170 days ahead: all are valid. Consecutive
requests, and the items of a batch, go to different psychologists (so to different SQS
message groups).

```graphql
{REQUEST_MUTATION}
{BATCH_MUTATION}
```

{answering}
{half}
{stack}
### Final status of every appointment created

{outcomes_lines(run.outcomes)}
"""
