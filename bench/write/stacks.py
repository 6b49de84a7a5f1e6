"""The deployments the write benchmark measures, started by the stack launcher on a private
PostgreSQL with initdb's durability defaults (commits cost what they cost on a server):

- the answering side: one ``appointment-api serve`` (SQS configured, so it only answers;
  no worker: nothing else competes for the cores) and the bare floor (bench/floor_app.py)
  beside it, on the same database, Redis and SQS server;
- the full stack: two APIs, two workers (relay, consumer and dead-letter sweeper each),
  PostgreSQL, Redis and moto's SQS server, as compose.yaml deploys it.
"""

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.cpu import children_seconds, process_seconds
from domain.people import Psychologist
from domain.viewer import Role
from infra.auth import issue_token
from infra.db.engine import create_engine
from infra.db.rows import psychologist_to_row
from infra.db.tables import psychologists as psychologists_table
from support.launcher import Api, Stack, StackOptions, launched
from support.processes import free_port

DATABASE = "appointments_write_bench"
# Commit times of the decisions, exactly, for the answer → CONFIRMED figure.
POSTGRES_SETTINGS = ("track_commit_timestamp=on",)
# One token drives the whole load: per-caller rate limits would measure refusals, and so
# would the cap on a patient's PENDING requests while the workers catch up.
BENCH_SETTINGS = {"RATE_LIMITS_ENABLED": "false", "MAX_PENDING_PER_PATIENT": "100000"}
FLOOR = "floor"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Deployed:
    stack: Stack
    token: str
    floor: Api | None

    @property
    def api_urls(self) -> list[str]:
        return [api.graphql_url for api in self.stack.apis]

    @property
    def floor_url(self) -> str:
        if self.floor is None:
            raise RuntimeError("no floor in this deployment")
        return f"{self.floor.http_url}/requests"

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    def cpu_sources(self, *, floor: bool = True) -> dict[str, Callable[[], float]]:
        """Cumulative CPU seconds of each part, by the name the report gives it."""
        stack = self.stack
        servers = stack.servers
        postmaster = stack.postgres.postmaster_pid()
        sources: dict[str, Callable[[], float]] = {
            "APIs": lambda: sum(process_seconds(api.process.pid) for api in stack.apis),
            "PostgreSQL": lambda: children_seconds(postmaster),
        }
        if stack.workers:
            sources["workers"] = lambda: sum(process_seconds(w.pid) for w in stack.workers)
        if servers.sqs is not None:
            sqs = servers.sqs
            sources["moto"] = lambda: process_seconds(sqs.pid)
        if servers.redis is not None:
            redis = servers.redis
            sources["Redis"] = lambda: process_seconds(redis.pid)
        if floor and self.floor is not None:
            server = self.floor
            sources[FLOOR] = lambda: process_seconds(server.process.pid)
        return sources

    def check_alive(self) -> None:
        self.stack.check_alive()


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


def floor_command(port: int) -> list[str]:
    """The floor under uvicorn with the options ``appointment-api serve`` passes."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.floor_app:create_app",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=info",
        "--no-proxy-headers",
    ]


@asynccontextmanager
async def deployed(
    workdir: Path,
    people: list[Psychologist],
    *,
    apis: int,
    workers: int,
    floor: bool,
    say: Callable[[str], None],
) -> AsyncIterator[Deployed]:
    """A fresh stack holding ``people``; everything stopped on leaving."""
    options = StackOptions(
        apis=apis,
        workers=workers,
        durable=True,
        postgres_settings=POSTGRES_SETTINGS,
        settings=BENCH_SETTINGS,
        database=DATABASE,
        database_user=None,
    )
    with launched(workdir, options, say=lambda line: say(f"  {line}")) as stack:
        await add_psychologists(stack.database_url, people)
        server = None
        if floor:
            port = free_port()
            libpq = stack.database_url.replace("postgresql+asyncpg://", "postgresql://")
            server = stack.deployment.start_server(
                FLOOR,
                floor_command(port),
                {**stack.env(), "DATABASE_URL": libpq, "PYTHONPATH": str(ROOT)},
                port,
                "/healthz",
            )
        token = issue_token(
            secret=options.jwt_secret,
            subject="admin-1",
            role=Role.ADMIN,
            ttl=timedelta(hours=24),
            now=datetime.now(UTC),
        )
        yield Deployed(stack, token, server)
