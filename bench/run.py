"""The read benchmark: cluster, data, both servers, checks, load, report; everything stopped after."""

import asyncio
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench import dataset, report, verify
from bench.folders import work_folder
from bench.load import measure
from bench.machine import describe
from bench.measurement import Measurement
from bench.operations import Case, build_cases
from bench.options import Options
from bench.servers import api_env, api_server, base_env, floor_server, mint_token, new_jwt_secret
from bench.wrk import Wrk, ensure_wrk
from support.launcher import Api, Deployment
from support.postgres import PostgresCluster as Cluster


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


def start_servers(stack: ExitStack, url: str, workdir: Path) -> tuple[list[Api], str]:
    """The API and the floor, running; and an admin token for the API."""
    env = api_env(dataset.app_url(url), new_jwt_secret())
    deployment = Deployment(workdir, base_env())
    stack.callback(deployment.stop)
    servers = [api_server(env, deployment), floor_server(url, deployment)]
    say(f"API on port {servers[0].port}, floor on port {servers[1].port}")
    return servers, mint_token(env)


def check_answers(cases: list[Case], servers: list[Api], token: str) -> dict[str, dict[str, int]]:
    """Answer sizes by case and server, once every case's answers hold the same data."""
    api_url, floor_url = (server.graphql_url for server in servers)
    sizes = {}
    for case in cases:
        sizes[case.name] = verify.same_answers(case, api_url, floor_url, token)
        verify.starts_where_expected(case, api_url, token)
    say("the floor's data equal the API's")
    return sizes


def measure_all(
    cases: list[Case],
    servers: list[Api],
    wrk: Wrk,
    options: Options,
    postgres_pid: int,
    answer_sizes: dict[str, dict[str, int]],
) -> list[Measurement]:
    """Every case on every server, alternating servers so that drift hits both alike."""
    results = []
    for case in cases:
        for server in servers:
            m = measure(
                case, server, wrk, options.warmup, options.duration, postgres_pid, answer_sizes
            )
            results.append(m)
            say(
                f"{case.name} {m.server:<5} {m.load.requests_per_second:8,.0f} req/s  "
                f"p50 {m.load.p50_ms:6.2f} ms  p99 {m.load.p99_ms:6.2f} ms  "
                f"server CPU {m.server_cpu_ms:.2f} ms/req"
            )
    return results


def run(options: Options, command: str) -> None:
    started = datetime.now(UTC)
    ensure_wrk()
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
        servers, token = start_servers(stack, url, workdir)
        cases = asyncio.run(build_cases(url, options.depth))
        answer_sizes = check_answers(cases, servers, token)
        wrk = Wrk(workdir, token, connections=options.connections, threads=options.threads)
        results = measure_all(cases, servers, wrk, options, cluster.postmaster_pid(), answer_sizes)
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
    )
    say(f"\n{report.results_table(results)}\n\n{report.ratios_table(results)}")
    if options.results is not None:
        report.write(options.results, report.section(summary))
        say(f"\nwritten to {options.results}")
