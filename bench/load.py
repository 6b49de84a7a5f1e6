"""One case on one server: warm up, then load it while counting the CPU each side spends."""

import resource

from bench.cpu import children_seconds, machine_busy_seconds, process_seconds
from bench.measurement import Measurement
from bench.operations import Case
from bench.wrk import Wrk
from support.launcher import Api

LABELS = {"api": "API", "floor": "floor"}


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
    wrk: Wrk,
    warmup: float,
    seconds: float,
    postgres_pid: int,
    answer_sizes: dict[str, dict[str, int]],
) -> Measurement:
    label = LABELS[server.name]
    url = server.graphql_url
    script = wrk.script(f"{case.name}-{server.name}", case.body)
    if warmup > 0:
        wrk.run(url, script, warmup)
    before = cpu_now(server, postgres_pid)
    load = wrk.run(url, script, seconds)
    after = cpu_now(server, postgres_pid)
    server_cpu, postgres_cpu, loadgen_cpu, busy = (
        a - b for a, b in zip(after, before, strict=True)
    )
    return Measurement(
        case=case.name,
        server=label,
        load=load,
        server_cpu_seconds=server_cpu,
        postgres_cpu_seconds=postgres_cpu,
        loadgen_cpu_seconds=loadgen_cpu,
        other_cpu_seconds=max(0.0, busy - server_cpu - postgres_cpu - loadgen_cpu),
        answer_bytes=answer_sizes[case.name][label],
    )
