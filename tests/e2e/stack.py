"""The full stack as real processes: the API served by `appointment-api serve` and any
number of `appointment-api worker` processes, on PostgreSQL and moto's SQS server.

Each process is a child of the test with its own log file; `Stack.report()` gathers
them for a failing test. Everything waits on a condition with a deadline.
"""

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.people import Patient, Psychologist
from domain.viewer import Role
from infra.auth import issue_token
from infra.queue.depths import QueueDepth
from infra.queue.sqs_client import SqsEndpoint
from infra.queue.sqs_queue import open_sqs
from resolvers.node_ids import from_global_id
from support.launcher import (
    CLI,
    COMMAND_TIMEOUT_SECONDS,
    AppProcess,
    Deployment,
    Endpoints,
    environment,
)
from support.processes import ServiceError
from support.services import SqsServer
from worker.ports import OutgoingMessage

T = TypeVar("T")

POLL_SECONDS = 0.1
# The launcher's processes, by the name the tests have always used.
ChildProcess = AppProcess


@dataclass
class Stack:
    """One test's stack: its own database and queues; the processes it started."""

    workdir: Path
    database_url: str
    sqs: SqsServer
    queue_url: str
    dead_letter_url: str
    jwt_secret: str
    # What the test's database holds before any process runs.
    psychologists: list[Psychologist] = field(default_factory=list)
    patients: list[Patient] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.deployment = Deployment(self.workdir, self.env())

    # --- configuration ------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of every process: exactly these settings, whatever the shell has."""
        endpoints = Endpoints(
            database_url=self.database_url,
            jwt_secret=self.jwt_secret,
            sqs_endpoint=self.sqs.endpoint_url,
            queue_url=self.queue_url,
            dead_letter_url=self.dead_letter_url,
        )
        # Every test client calls from 127.0.0.1: one address, many callers.
        return environment(endpoints, RATE_LIMIT_REQUESTS_PER_ADDRESS="1000000/minute", **overrides)

    def cli(self, *args: str, **overrides: str) -> str:
        """Run an `appointment-api` command to completion; its standard output."""
        result = subprocess.run(
            [str(CLI), *args],
            env=self.env(**overrides),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise ServiceError(
                f"appointment-api {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
            )
        return result.stdout

    def token(self, role: str, subject: str) -> str:
        return issue_token(
            secret=self.jwt_secret,
            subject=subject,
            role=Role(role.upper()),
            ttl=timedelta(hours=1),
            now=datetime.now(UTC),
        )

    # --- processes ----------------------------------------------------------------------

    @property
    def api(self) -> AppProcess | None:
        apis = self.deployment.apis
        return apis[-1].process if apis else None

    @property
    def workers(self) -> list[AppProcess]:
        return self.deployment.workers

    @property
    def base_url(self) -> str:
        if not self.deployment.apis:
            raise ServiceError("the API has not been started")
        return self.deployment.apis[-1].http_url

    def start_api(self, **overrides: str) -> AppProcess:
        [api] = self.deployment.start_apis(1, **overrides)
        return api.process

    def start_workers(self, count: int = 1, **overrides: str) -> list[AppProcess]:
        """Start `count` workers at once, then wait until each has opened its queue."""
        return self.deployment.start_workers(count, **overrides)

    def stop(self) -> dict[str, int]:
        """SIGTERM to whatever still runs; the exit code of each."""
        codes: dict[str, int] = {}
        for process in [*self.workers, *(api.process for api in self.deployment.apis)]:
            if process.alive:
                codes[process.name] = process.terminate()
        return codes

    def report(self) -> str:
        """The end of every process's output, for a failing test."""
        return self.deployment.report()

    # --- queues -------------------------------------------------------------------------

    def endpoint(self) -> SqsEndpoint:
        return SqsEndpoint(region=self.sqs.region, endpoint_url=self.sqs.endpoint_url)

    async def depths(self) -> tuple[QueueDepth, QueueDepth]:
        """(queue, dead-letter queue) as SQS approximates them."""
        async with open_sqs(
            self.queue_url, self.dead_letter_url, self.endpoint(), max_receive_count=1
        ) as (queue, dead_letters):
            return await queue.depth(), await dead_letters.depth()

    async def send_raw(self, body: str, *, group: str, deduplication_id: str) -> None:
        """Put a message straight on the queue, past the outbox, as a faulty producer would."""
        async with open_sqs(
            self.queue_url, self.dead_letter_url, self.endpoint(), max_receive_count=1
        ) as (queue, _):
            await queue.send_batch(
                [OutgoingMessage(deduplication_id=deduplication_id, group=group, body=body)]
            )


# --- the test's side: GraphQL over HTTP and the database ----------------------------------


class GraphQLError(AssertionError):
    """The API answered with top-level errors (or not with 200)."""


@dataclass
class Client:
    """GraphQL over HTTP against the served API."""

    http: httpx.AsyncClient

    async def call(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """The `data` of a successful answer; any transport or GraphQL error fails the test."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLError(f"HTTP {response.status_code}: {body}")
        data: dict[str, Any] = body["data"]
        return data


def appointment_uuid(global_id: str) -> str:
    type_name, value = from_global_id(global_id, argument="id")
    assert type_name == "Appointment", global_id
    return str(value)


class Database:
    """Direct reads of the stack's database, to check what the processes did."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(url, pool_size=2)

    async def close(self) -> None:
        await self.engine.dispose()

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return [dict(row) for row in result.mappings().all()]

    async def statuses(self, ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """id → (status, rejection reason) for these appointment ids."""
        found = await self.rows(
            "SELECT id::text AS id, status, rejection_reason FROM appointments "
            "WHERE id::text = ANY(:ids)",
            ids=ids,
        )
        return {row["id"]: (row["status"], row["rejection_reason"]) for row in found}

    async def history(self, ids: list[str]) -> dict[str, list[tuple[int, str, str | None]]]:
        """id → [(version, status, reason)] from the status-history table, oldest first."""
        found = await self.rows(
            "SELECT appointment_id::text AS id, version, status, reason FROM appointment_events "
            "WHERE appointment_id::text = ANY(:ids) ORDER BY appointment_events.id",
            ids=ids,
        )
        history: dict[str, list[tuple[int, str, str | None]]] = {i: [] for i in ids}
        for row in found:
            history[row["id"]].append((row["version"], row["status"], row["reason"]))
        return history

    async def still_pending(self, ids: list[str]) -> list[str]:
        return [i for i, (status, _) in (await self.statuses(ids)).items() if status == "PENDING"]


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    what: str,
    within: float,
    done: Callable[[T], bool] = bool,
) -> T:
    """Poll `check` until `done(result)`; fail with the last result after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {within:.0f} s; last seen: {result!r}")
        await asyncio.sleep(POLL_SECONDS)
