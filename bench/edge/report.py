"""The edge suite's section of RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.machine import Machine
from bench.results_file import replace_section

if TYPE_CHECKING:
    from bench.edge.options import Options
    from bench.edge.run import Measurement

HEADING = "## Edge: the cost of refusing, and of the limits"
OFF = "limits off"
MEMORY = "limits on (memory)"
REDIS = "limits on (Redis)"


@dataclass(frozen=True)
class Run:
    started: datetime
    command: str
    machine: Machine
    options: Options
    results: list[Measurement]
    metrics_record_us: float


def _find(results: list[Measurement], case: str, config: str) -> Measurement | None:
    return next((m for m in results if m.case.name == case and m.config == config), None)


def results_table(results: list[Measurement]) -> str:
    lines = [
        "| operation | server | HTTP | req/s | p50 ms | p99 ms | API CPU / req |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        lines.append(
            f"| {m.case.name} | {m.config} | {m.status} | {m.load.requests_per_second:,.0f} "
            f"| {m.load.p50_ms:.2f} | {m.load.p99_ms:.2f} | {m.server_cpu_ms:.3f} ms |"
        )
    return "\n".join(lines)


def ratios_table(results: list[Measurement]) -> str:
    configs = (OFF, MEMORY, REDIS)
    lines = ["| requests/s ÷ normal's | " + " | ".join(configs) + " |", "|---|---:|---:|---:|"]
    for case in ("deep", "aliases", "costly"):
        cells = []
        for config in configs:
            m, normal = _find(results, case, config), _find(results, "normal", config)
            ratio = (
                m.load.requests_per_second / normal.load.requests_per_second
                if m is not None and normal is not None
                else None
            )
            cells.append("n/a" if ratio is None else f"{ratio:.2f}x")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    off = _find(results, "normal", OFF)
    lines += ["", "| normal query, limits on vs off | req/s | API CPU / req |", "|---|---:|---:|"]
    for config in (MEMORY, REDIS):
        on = _find(results, "normal", config)
        if on is None or off is None:
            continue
        rate = on.load.requests_per_second / off.load.requests_per_second - 1
        cost = on.server_cpu_ms - off.server_cpu_ms
        lines.append(f"| {config} | {rate:+.1%} | {cost:+.3f} ms |")
    return "\n".join(lines)


def section(run: Run) -> str:
    m, o = run.machine, run.options
    cases = "\n".join(
        f"- **{r.case.name}**: {r.case.description} → "
        + (f"`{r.case.expect}`" if r.case.refused else "answered")
        for r in run.results
        if r.config == OFF
    )
    off = _find(run.results, "normal", OFF)
    share = (
        f" ({run.metrics_record_us / 1000 / off.server_cpu_ms:.1%} of the API's CPU per "
        "normal query with the limits off)"
        if off
        else ""
    )
    return f"""{HEADING}

Run {run.started:%Y-%m-%d %H:%M} UTC with `{run.command}`, on the code at {m.code}.

**Machine.** {m.cores} cores ({m.cpu_model}), {m.memory_gib:.1f} GiB of memory, {m.kernel};
Python {m.python}; {m.packages}. {m.postgres}: a private cluster with initdb's defaults
and the demo world (`appointment-api seed`). wrk, PostgreSQL, Redis and the API share
the {m.cores} cores.

**Servers.** Three `appointment-api serve` processes (one uvicorn process each, every
setting at its default: `APP_ENV=development`, MAX_QUERY_DEPTH 12, MAX_ALIASES 30,
MAX_QUERY_COST 5,000), differing only in the rate limits: **{OFF}**
(`RATE_LIMITS_ENABLED=false`); **{MEMORY}** (`RATE_LIMITS_ENABLED=true`, every budget,
the per-address flood guard included, at {100_000_000:,}/minute so that nothing is
refused but every request is counted, in process memory); **{REDIS}** (the same, with
`REDIS_URL`: the counts kept in a local Redis, as in the full stack). All with one admin
token.

**Load.** wrk, {o.threads} threads, {o.connections} connections, one POST body per
operation; per operation and server {o.warmup:g} s of warm-up then {o.duration:g} s
measured, the three servers one after the other for each operation. wrk's script checks
every answer: a refusal must carry its code, the normal query must answer 200 without
errors; anything else stops the run. API CPU per request: /proc user + system time of the
API process over the measured seconds ÷ requests.

{cases}

{results_table(run.results)}

{ratios_table(run.results)}

**Metrics.** They cannot be switched off (no setting does, and none was added for this),
so every row above includes them. In their place: one `ApiMetrics.observe_operation` of
a query without errors (the request counter and the latency histogram, what the
operation-metrics extension records per request) takes {run.metrics_record_us:.2f} µs
in the bench process{share}; the strawberry extension hooks around it are not counted.

One run on a shared {m.cores}-core machine: compare within the run; absolute figures
move between runs.
"""


def write(path: Path, text: str) -> None:
    replace_section(path, HEADING, text)
