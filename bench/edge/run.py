"""``python -m bench edge``: requests/s of refused abusive operations beside a normal
small query, and the normal query with the rate limits on and off, on one API process."""

import time
import timeit
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import cpu
from bench.edge import report
from bench.edge.cases import CASES, Case
from bench.edge.load import CheckingWrk
from bench.edge.options import Options
from bench.folders import work_folder
from bench.live.services import RedisServer, say, seeded_database, start_api, token
from bench.machine import describe
from bench.servers import new_jwt_secret
from bench.wrk import LoadResult, ensure_wrk
from support.launcher import Api as HttpServer

# Budgets no run of this length can spend: the limiter counts every request, refuses none.
LARGE_BUDGET = "100000000/minute"
LIMITS_ON = {
    "RATE_LIMITS_ENABLED": "true",
    "RATE_LIMIT_QUERIES": LARGE_BUDGET,
    "RATE_LIMIT_MUTATIONS": LARGE_BUDGET,
    "RATE_LIMIT_SUBSCRIPTIONS": LARGE_BUDGET,
    "RATE_LIMIT_REQUESTS_PER_ADDRESS": LARGE_BUDGET,
}


@dataclass(frozen=True)
class Measurement:
    case: Case
    config: str
    load: LoadResult
    status: int
    server_cpu_ms: float


def metrics_record_microseconds() -> float:
    """What the operation metrics add per request, measured in this process: one
    ``ApiMetrics.observe_operation`` of a query without errors (the counter and the
    latency histogram it touches)."""
    from appointment_api.metrics import ApiMetrics

    metrics = ApiMetrics()
    calls = 200_000
    seconds = min(
        timeit.repeat(
            lambda: metrics.observe_operation("Small", "query", 0.002, []), number=calls, repeat=3
        )
    )
    return seconds / calls * 1e6


def measure(
    wrk: CheckingWrk, server: HttpServer, config: str, case: Case, options: Options
) -> Measurement:
    url = f"{server.base_url}/graphql"
    script = wrk.script(case)
    wrk.run(url, script, options.warmup)
    before = cpu.process_seconds(server.pid)
    load, status = wrk.run(url, script, options.duration)
    used = cpu.process_seconds(server.pid) - before
    server.check_alive()
    return Measurement(case, config, load, status, used / load.requests * 1000)


def run(options: Options, command: str) -> None:
    started = datetime.now(UTC)
    ensure_wrk()
    with ExitStack() as stack:
        workdir = work_folder(stack, "bench-edge-")
        cluster, url = seeded_database(stack)
        redis = RedisServer(workdir)
        stack.callback(redis.stop)
        redis.start()
        secret = new_jwt_secret()
        servers = {
            report.OFF: start_api(stack, url, secret, workdir, "api-limits-off"),
            report.MEMORY: start_api(stack, url, secret, workdir, "api-limits-memory", **LIMITS_ON),
            report.REDIS: start_api(
                stack, url, secret, workdir, "api-limits-redis", REDIS_URL=redis.url, **LIMITS_ON
            ),
        }
        admin = token(secret, url, "admin", "admin-1")
        wrk = CheckingWrk(workdir, admin, connections=options.connections, threads=options.threads)
        results: list[Measurement] = []
        # Case by case, the three servers one after the other, so that a drift of the
        # machine's other load falls on all three alike.
        for case in CASES:
            for config, server in servers.items():
                m = measure(wrk, server, config, case, options)
                results.append(m)
                say(
                    f"{case.name:<8} {config:<24} {m.load.requests_per_second:8,.0f} req/s  "
                    f"p50 {m.load.p50_ms:6.2f} ms  p99 {m.load.p99_ms:6.2f} ms  "
                    f"API CPU {m.server_cpu_ms:.3f} ms/req  HTTP {m.status}"
                )
                time.sleep(0.5)
        postgres = cluster.version()
    record_us = metrics_record_microseconds()
    say(f"metrics: observe_operation takes {record_us:.2f} µs per call in this process")
    summary = report.Run(
        started=started,
        command=command,
        machine=describe(postgres, ("limits", "prometheus-client", "redis")),
        options=options,
        results=results,
        metrics_record_us=record_us,
    )
    text = report.section(summary)
    say("\n" + text)
    if options.results is not None:
        report.write(options.results, text)
        say(f"written to {options.results}")
