"""One case on one server: warm up, load it at its peak while counting the CPU each side
spends, then hold half that rate steady for the latency at a constant load."""

import resource
from dataclasses import dataclass, replace
from pathlib import Path

from bench.cpu import children_seconds, machine_busy_seconds, process_seconds
from bench.errors import BenchError
from bench.measurement import Measurement
from bench.operations import Case
from bench.steady import run_steady
from bench.wrk import Wrk
from support.launcher import Api

# Fewer answers than this in a measured run say too little: the run is made longer.
MIN_REQUESTS = 16

API, API_REDIS, FLOOR, POSTGRAPHILE = "API", "API, Redis limits", "floor", "PostGraphile"
LABELS = {"api": API, "api-redis": API_REDIS, "floor": FLOOR, "postgraphile": POSTGRAPHILE}


@dataclass(frozen=True)
class Target:
    """What one server is sent for one case: its URL, the body and the token."""

    url: str
    body: bytes
    token: str


def target(case: Case, server: Api, tokens: dict[str, str]) -> Target | None:
    """Where and what to send ``case`` on ``server``; None when that server has no form of it."""
    token = tokens[case.patient_subject or "admin"]
    if server.name == "postgraphile":
        if case.peer_body is None:
            return None
        return Target(f"{server.base_url}/graphql", case.peer_body, token)
    path = case.floor_path if server.name == "floor" else "/graphql"
    return Target(f"{server.base_url}{path}", case.body, token)


def reaped_children_seconds() -> float:
    """CPU time of our finished child processes: here, the wrk runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_now(server: Api, postgres_pid: int) -> tuple[float, float, float, float]:
    return (
        process_seconds(server.pid),
        children_seconds(postgres_pid),
        reaped_children_seconds(),
        machine_busy_seconds(),
    )


def measure(
    case: Case,
    server: Api,
    sent: Target,
    wrk: Wrk,
    *,
    warmup: float,
    seconds: float,
    steady_seconds: float,
    postgres_pid: int,
    answer_bytes: int,
    workdir: Path,
) -> Measurement:
    script = wrk.script(f"{case.name}-{server.name}", sent.body, sent.token)
    if warmup > 0:
        wrk.run(sent.url, script, warmup, allow_none=True)
    # A server slower than the case is long would answer too few requests to measure:
    # measure it longer (twice, then four times); the last try's figures stand however few
    # its answers (the report shows how many), and only a try with none stops the run.
    length = seconds
    for _ in range(3):
        before = cpu_now(server, postgres_pid)
        load = wrk.run(sent.url, script, length, allow_none=True)
        after = cpu_now(server, postgres_pid)
        if load.requests >= MIN_REQUESTS:
            break
        length *= 2
    if load.requests == 0:
        raise BenchError(f"{case.name} on {server.name}: no answer in {length / 2:.0f} s")
    server_cpu, postgres_cpu, loadgen_cpu, busy = (
        a - b for a, b in zip(after, before, strict=True)
    )
    peak = Measurement(
        case=case.name,
        server=LABELS[server.name],
        load=load,
        server_cpu_seconds=server_cpu,
        postgres_cpu_seconds=postgres_cpu,
        loadgen_cpu_seconds=loadgen_cpu,
        other_cpu_seconds=max(0.0, busy - server_cpu - postgres_cpu - loadgen_cpu),
        answer_bytes=answer_bytes,
    )
    if steady_seconds <= 0:
        return peak
    rate = load.requests_per_second / 2
    # At least MIN_REQUESTS planned, however slow the server, within a minute.
    length = min(max(steady_seconds, MIN_REQUESTS / rate), 60.0)
    steady = run_steady(sent.url, sent.body, sent.token, rate, length, workdir)
    server.check_alive()
    return replace(peak, steady=steady)
