"""The deployments under test, each started from an empty database and stopped after.

- full stack: ``appointment-api serve`` with SQS_QUEUE_URL set (it only answers),
  moto's SQS server, and two ``appointment-api worker`` processes (relay, consumer
  and dead-letter sweeper each), all on PostgreSQL;
- embedded: ``appointment-api serve`` with no SQS_QUEUE_URL, which runs the relay and
  the worker in its own process on the in-process queue; on PostgreSQL, or on
  SQLite as ``make run`` does.
"""

import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import insert

from bench.cpu import children_seconds, process_seconds
from bench.dataset import app_url
from bench.postgres import Cluster
from bench.processes import BenchError, ChildProcess, HttpServer, LoggingProcess, free_port
from bench.servers import APP_COMMAND, api_env, base_env, mint_token, new_jwt_secret
from domain.people import Psychologist
from infra.db.engine import create_engine
from infra.db.rows import psychologist_to_row
from infra.db.tables import psychologists as psychologists_table

DATABASE = "appointments_write_bench"
WORKERS = 2
# moto's default account: the queue URLs it hands out carry it.
ACCOUNT = "123456789012"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


class Mode(StrEnum):
    FULL = "full"
    EMBEDDED_POSTGRES = "embedded-postgres"
    EMBEDDED_SQLITE = "embedded-sqlite"

    @property
    def label(self) -> str:
        return {
            Mode.FULL: f"full stack: PostgreSQL, SQS (moto), {WORKERS} workers",
            Mode.EMBEDDED_POSTGRES: "embedded queue and worker, PostgreSQL",
            Mode.EMBEDDED_SQLITE: "embedded queue and worker, SQLite (as make run)",
        }[self]

    @property
    def on_postgres(self) -> bool:
        return self is not Mode.EMBEDDED_SQLITE


@dataclass
class Stack:
    mode: Mode
    api: HttpServer
    workers: list[ChildProcess]
    sqs: HttpServer | None
    database_url: str
    token: str
    postgres_pid: int

    @property
    def graphql_url(self) -> str:
        return f"{self.api.base_url}/graphql"

    def cpu_sources(self) -> dict[str, Callable[[], float]]:
        """Cumulative CPU seconds of each part, by the name the report gives it."""
        sources: dict[str, Callable[[], float]] = {"API": lambda: process_seconds(self.api.pid)}
        if self.workers:
            sources["workers"] = lambda: sum(process_seconds(w.pid) for w in self.workers)
        sqs = self.sqs
        if sqs is not None:
            sources["SQS server"] = lambda: process_seconds(sqs.pid)
        if self.mode.on_postgres:
            sources["PostgreSQL"] = lambda: children_seconds(self.postgres_pid)
        return sources

    def check_alive(self) -> None:
        for process in [self.api, *self.workers, *([self.sqs] if self.sqs else [])]:
            process.check_alive()


async def recreate_database(cluster: Cluster) -> str:
    connection = await asyncpg.connect(cluster.admin_url)
    try:
        # FORCE: a backend of the deployment just stopped may not have exited yet.
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()
    return app_url(cluster.url(DATABASE))


def migrate(env: dict[str, str]) -> None:
    completed = subprocess.run(
        [APP_COMMAND, "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"migrate failed:\n{completed.stdout}{completed.stderr}")


async def add_psychologists(database_url: str, people: list[Psychologist]) -> None:
    engine = create_engine(database_url)
    try:
        now = datetime.now(UTC)
        async with engine.begin() as connection:
            await connection.execute(
                insert(psychologists_table), [psychologist_to_row(p, now) for p in people]
            )
    finally:
        await engine.dispose()


def sqs_server(workdir: Path) -> HttpServer:
    port = free_port()
    beside_python = Path(sys.executable).with_name("moto_server")
    command = (
        [str(beside_python)] if beside_python.exists() else [sys.executable, "-m", "moto.server"]
    )
    return HttpServer(
        "sqs",
        [*command, "-H", "127.0.0.1", "-p", str(port)],
        env={**base_env(), **DUMMY_AWS},
        port=port,
        workdir=workdir,
        ready_path="/",
    )


def create_queues(env: dict[str, str]) -> dict[str, str]:
    """``appointment-api queues create``; the queue URLs it reports, as settings."""
    completed = subprocess.run(
        [APP_COMMAND, "queues", "create"], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"queues create failed:\n{completed.stdout}{completed.stderr}")
    found = {}
    for line in completed.stdout.splitlines():
        name, _, url = line.partition(":")
        found[name.strip()] = url.strip()
    try:
        return {"SQS_QUEUE_URL": found["queue"], "SQS_DLQ_URL": found["dead-letter queue"]}
    except KeyError:
        raise BenchError(f"queues create said:\n{completed.stdout}") from None


async def start_stack(
    stack: ExitStack,
    mode: Mode,
    cluster: Cluster,
    workdir: Path,
    people: list[Psychologist],
) -> Stack:
    """``mode`` deployed on an empty database holding ``people``; stopped when ``stack`` closes."""
    if mode.on_postgres:
        database_url = await recreate_database(cluster)
    else:
        # A new file each time: nothing left from an earlier deployment.
        sqlite_file = workdir / f"{mode.value}-{datetime.now(UTC):%H%M%S%f}.db"
        database_url = f"sqlite+aiosqlite:///{sqlite_file}"
    env = api_env(database_url, new_jwt_secret())
    migrate(env)
    await add_psychologists(database_url, people)
    sqs: HttpServer | None = None
    workers: list[ChildProcess] = []
    if mode is Mode.FULL:
        sqs = sqs_server(workdir)
        stack.callback(sqs.stop)
        sqs.start()
        queue = f"{sqs.base_url}/{ACCOUNT}/bench-appointments.fifo"
        dead_letters = f"{sqs.base_url}/{ACCOUNT}/bench-appointments-dlq.fifo"
        env = {
            **env,
            **DUMMY_AWS,
            "AWS_ENDPOINT_URL": sqs.base_url,
            "SQS_QUEUE_URL": queue,
            "SQS_DLQ_URL": dead_letters,
        }
        env.update(create_queues(env))
        for number in range(1, WORKERS + 1):
            worker = LoggingProcess(
                f"worker-{number}",
                [APP_COMMAND, "worker"],
                env=env,
                workdir=workdir,
                marker="worker started",
            )
            # Callbacks run last in, first out: the API stops first, the SQS server last.
            stack.callback(worker.stop)
            worker.start()
            workers.append(worker)
    port = free_port()
    api = HttpServer(
        f"api-{mode.value}",
        [APP_COMMAND, "serve"],
        env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
        port=port,
        workdir=workdir,
    )
    stack.callback(api.stop)
    api.start()
    return Stack(
        mode=mode,
        api=api,
        workers=workers,
        sqs=sqs,
        database_url=database_url,
        token=mint_token(env),
        postgres_pid=cluster.postmaster_pid(),
    )
