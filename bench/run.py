"""The read benchmark: cluster, data, the servers (API twice, floor, PostGraphile), checks,
load, profile, report; everything stopped after."""

import asyncio
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import orjson

from bench import dataset, profile, report, verify
from bench.errors import BenchError
from bench.folders import work_folder
from bench.load import FLOOR, LABELS, POSTGRAPHILE, measure, target
from bench.machine import describe
from bench.measurement import Measurement
from bench.operations import VIEWER_SUBJECT, Case, build_cases
from bench.options import Options
from bench.postgraphile import peer
from bench.servers import (
    PRODUCTION_LIMITS,
    api_env,
    api_server,
    base_env,
    floor_server,
    mint_token,
    new_jwt_secret,
    queue_env,
)
from bench.wrk import Wrk, ensure_wrk
from support.launcher import Api, Deployment
from support.postgres import PostgresCluster as Cluster
from support.services import RedisServer, SqsServer


def say(message: str) -> None:
    print(message, flush=True)


def prepare_data(cluster: Cluster, sizes: dataset.Sizes) -> str:
    """Schema and rows in the cluster; returns how they came to be there."""
    marker = cluster.root / "dataset.json"
    url = cluster.url(dataset.DATABASE)
    if cluster.keep and dataset.read_marker(marker) == sizes:
        dataset.migrate(url, base_env())
        say(f"reusing the data in {cluster.root}")
        return "kept from an earlier run"
    marker.unlink(missing_ok=True)
    asyncio.run(dataset.recreate_database(cluster.admin_url))
    dataset.migrate(url, base_env())
    say(f"generating {sizes.appointments:,} appointments")
    started = time.monotonic()
    asyncio.run(dataset.load(url, sizes, say))
    elapsed = time.monotonic() - started
    if cluster.keep:
        dataset.write_marker(marker, sizes)
    return f"in {elapsed:.0f} s"


async def database_facts(url: str) -> tuple[float, str]:
    """The database's size in MiB, and the server settings that bear on the figures."""
    connection = await asyncpg.connect(url)
    try:
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
        names = ("shared_buffers", "fsync", "synchronous_commit", "work_mem")
        values = [f"{name}={await connection.fetchval(f'SHOW {name}')}" for name in names]
    finally:
        await connection.close()
    return size / 1024**2, ", ".join(values)


@dataclass(frozen=True)
class Servers:
    """The servers under test, in the order each case visits them, and the tokens."""

    all: list[Api]
    tokens: dict[str, str]

    def named(self, name: str) -> Api:
        return next(server for server in self.all if server.name == name)


def start_servers(stack: ExitStack, url: str, workdir: Path) -> Servers:
    """The API with the production defaults (rate limits on, memory storage), the same with
    Redis-backed limits (a private redis-server), the floor and PostGraphile, running.

    The APIs are given an SQS queue (moto's), as in production: the relay and the worker
    then run in worker processes, not in the API's (none is needed by reads)."""
    redis = RedisServer(workdir)
    stack.callback(redis.stop)
    redis.start()
    sqs = SqsServer(workdir)
    stack.callback(sqs.stop)
    sqs.start()
    env = {
        **api_env(dataset.app_url(url), new_jwt_secret()),
        **PRODUCTION_LIMITS,
        **queue_env(sqs.endpoint_url),
    }
    deployment = Deployment(workdir, base_env())
    stack.callback(deployment.stop)
    deployment.run("queues", "queues", "create", **env)
    servers = [
        api_server(env, deployment),
        api_server({**env, "REDIS_URL": redis.url}, deployment, "api-redis"),
        floor_server(url, deployment),
        peer.server(url, deployment),
    ]
    say(", ".join(f"{server.name} on port {server.port}" for server in servers))
    tokens = {"admin": mint_token(env), VIEWER_SUBJECT: mint_token(env, "patient", VIEWER_SUBJECT)}
    return Servers(servers, tokens)


def peer_cursor(servers: Servers, depth: int) -> str:
    """PostGraphile's own cursor of the ``depth``-th row: Q2 pages after it."""
    server = servers.named("postgraphile")
    body = peer.body(peer.CURSOR_QUERY, {"offset": depth - 1})
    answer = orjson.loads(verify.post(f"{server.base_url}/graphql", body, servers.tokens["admin"]))
    if "errors" in answer:
        raise BenchError(f"PostGraphile could not give the cursor of row {depth}: {answer}")
    cursor: str = answer["data"]["allAppointments"]["edges"][0]["cursor"]
    return cursor


def check_answers(cases: list[Case], servers: Servers) -> dict[tuple[str, str], int]:
    """Answer sizes by (case, server), once every case's answers hold the same data."""
    sizes: dict[tuple[str, str], int] = {}
    floor = servers.named("floor")
    for case in cases:
        floor_target = target(case, floor, servers.tokens)
        assert floor_target is not None
        for server in servers.all:
            sent = target(case, server, servers.tokens)
            if sent is None or server is floor:
                continue
            if server.name == "postgraphile":
                sizes[case.name, POSTGRAPHILE] = verify.same_rows_as_peer(case, floor_target, sent)
                continue
            label = LABELS[server.name]
            sizes[case.name, label], sizes[case.name, FLOOR] = verify.same_data(
                case, label, sent, floor_target
            )
            verify.starts_where_expected(case, sent)
    say("the floor's data equal the API's; PostGraphile's rows equal the floor's")
    return sizes


def measure_all(
    cases: list[Case],
    servers: Servers,
    wrk: Wrk,
    options: Options,
    postgres_pid: int,
    answer_sizes: dict[tuple[str, str], int],
    workdir: Path,
) -> list[Measurement]:
    """Every case on every server that has a form of it, one server after the other case by
    case, so that a drift of the machine's other load falls on all alike."""
    results = []
    for case in cases:
        for server in servers.all:
            sent = target(case, server, servers.tokens)
            if sent is None:
                continue
            m = measure(
                case,
                server,
                sent,
                wrk,
                warmup=options.warmup,
                seconds=options.duration,
                steady_seconds=options.steady_seconds,
                postgres_pid=postgres_pid,
                answer_bytes=answer_sizes[case.name, LABELS[server.name]],
                workdir=workdir,
            )
            results.append(m)
            steady = (
                f"  at {m.steady.rate:,.0f} req/s: p50 {m.steady.p50_ms:.2f} p99 "
                f"{m.steady.p99_ms:.2f} ms"
                if m.steady
                else ""
            )
            say(
                f"{case.name} {m.server:<18} {m.load.requests_per_second:8,.0f} req/s  "
                f"p50 {m.load.p50_ms:6.2f} ms  p99 {m.load.p99_ms:6.2f} ms  "
                f"server CPU {m.server_cpu_ms:.2f} ms/req{steady}"
            )
    return results


def profile_api(
    case: Case, servers: Servers, wrk: Wrk, seconds: float, workdir: Path
) -> profile.Profile | None:
    """py-spy on the API (memory limits) while wrk loads it with ``case``."""
    if seconds <= 0:
        return None
    api = servers.named("api")
    sent = target(case, api, servers.tokens)
    assert sent is not None
    script = wrk.script(f"profile-{case.name}", sent.body, sent.token)
    output = workdir / "profile.txt"
    recorder = profile.start_recording(api.pid, seconds, output)
    wrk.run(sent.url, script, seconds + 2, allow_none=True)
    printed, _ = recorder.communicate(timeout=60)
    if recorder.returncode != 0 or not output.exists():
        raise BenchError(f"py-spy failed:\n{printed}")
    found = profile.summarize(output.read_text())
    say(f"profile of the API under {case.name}: {found.samples} busy samples")
    return found


def run(options: Options, command: str) -> None:
    started = datetime.now(UTC)
    ensure_wrk()
    peer.ensure_installed()
    if options.profile_seconds > 0:
        profile.ensure_py_spy()
    sizes = dataset.Sizes(appointments=options.rows)
    with ExitStack() as stack:
        workdir = work_folder(stack, "bench-")
        cluster = Cluster(parent=workdir, durable=True, keep_in=options.keep_data)
        stack.callback(cluster.stop)
        cluster.start()
        say(f"PostgreSQL on port {cluster.port} in {cluster.root}")
        generation = prepare_data(cluster, sizes)
        url = cluster.url(dataset.DATABASE)
        database_mib, settings = asyncio.run(database_facts(url))
        servers = start_servers(stack, url, workdir)
        cases = asyncio.run(build_cases(url, options.depth, peer_cursor(servers, options.depth)))
        answer_sizes = check_answers(cases, servers)
        wrk = Wrk(
            workdir,
            servers.tokens["admin"],
            connections=options.connections,
            threads=options.threads,
        )
        results = measure_all(
            cases, servers, wrk, options, cluster.postmaster_pid(), answer_sizes, workdir
        )
        found_profile = profile_api(cases[0], servers, wrk, options.profile_seconds, workdir)
        postgres = f"{cluster.version()} ({settings})"
    summary = report.Run(
        started=started,
        command=command,
        machine=describe(postgres),
        sizes=sizes,
        database_mib=database_mib,
        generation=generation,
        depth=options.depth,
        warmup_seconds=options.warmup,
        seconds=options.duration,
        connections=options.connections,
        threads=options.threads,
        cases=cases,
        results=results,
        steady_seconds=options.steady_seconds,
        profile=found_profile,
        profile_seconds=options.profile_seconds,
    )
    say(f"\n{report.results_table(results)}\n\n{report.ratios_table(results)}")
    say(f"\n{report.steady_table(results)}")
    if found_profile is not None:
        say(f"\n{report.profile_tables(found_profile)}")
    if options.results is not None:
        report.write(options.results, report.section(summary))
        say(f"\nwritten to {options.results}")
