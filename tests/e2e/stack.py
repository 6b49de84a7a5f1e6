"""The full stack as real processes: the API served by `appointment-api serve` and any
number of `appointment-api worker` processes, on PostgreSQL and moto's SQS server.

Each process is a child of the test with its own log file; `Stack.report()` gathers
them for a failing test. Everything waits on a condition with a deadline.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
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
from infra.config import Settings
from infra.queue.depths import QueueDepth
from infra.queue.sqs_client import SqsEndpoint
from infra.queue.sqs_queue import open_sqs
from resolvers.node_ids import from_global_id
from support.processes import (
    STOP_TIMEOUT_SECONDS,
    ServiceError,
    free_port,
    log_tail,
    wait_until,
)
from support.services import SqsServer
from worker.ports import OutgoingMessage

T = TypeVar("T")

CLI = Path(sys.executable).with_name("appointment-api")
# Two cores shared with other test runs: starting Python with the app's imports takes seconds.
START_TIMEOUT_SECONDS = 60.0
CLI_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.1
WORKER_READY_LINE = "worker started"


class ChildProcess:
    """One `appointment-api` command run as our child, its output in `<name>.log`."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [str(CLI), *args],
                env=dict(env),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def records(self) -> list[dict[str, Any]]:
        """The JSON log records it printed; anything else (a crash's traceback) is skipped."""
        found = []
        for line in self.output().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    def logged(self, message: str) -> list[dict[str, Any]]:
        """Its log records whose message starts with `message`."""
        return [r for r in self.records() if str(r.get("message", "")).startswith(message)]

    def check_alive(self) -> None:
        if not self.alive:
            raise ServiceError(
                f"{self.name} exited {self._process.returncode}:\n{log_tail(self.log_path)}"
            )

    def wait_for_output(self, line: str, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
        wait_until(
            lambda: line in self.output(),
            what=f"{self.name} to print {line!r}",
            still_alive=self.check_alive,
            timeout=timeout,
        )

    def send_signal(self, signum: signal.Signals) -> None:
        self._process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit code, once it has exited by itself within `timeout` seconds."""
        return self._process.wait(timeout=timeout)

    def terminate(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM and wait for the exit code (SIGKILL only if it does not stop in time)."""
        if self.alive:
            self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise ServiceError(f"{self.name} ignored SIGTERM for {timeout:.0f} s") from None

    def kill(self) -> int:
        """SIGKILL: no cleanup, no goodbye; the exit code once it is gone."""
        self._process.send_signal(signal.SIGKILL)
        return self._process.wait(timeout=STOP_TIMEOUT_SECONDS)


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
    api: ChildProcess | None = None
    workers: list[ChildProcess] = field(default_factory=list)
    _port: int | None = None

    # --- configuration ------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of every process: exactly these settings, whatever the shell has."""
        app_variables = {name.upper() for name in Settings.model_fields}
        env = {k: v for k, v in os.environ.items() if k.upper() not in app_variables}
        env.update(
            APP_ENV="development",
            HOST="127.0.0.1",
            DATABASE_URL=self.database_url,
            JWT_SECRET=self.jwt_secret,
            SQS_QUEUE_URL=self.queue_url,
            SQS_DLQ_URL=self.dead_letter_url,
            AWS_ENDPOINT_URL=self.sqs.endpoint_url,
            AWS_REGION=self.sqs.region,
            AWS_DEFAULT_REGION=self.sqs.region,
            # Every test client calls from 127.0.0.1: one address, many callers.
            RATE_LIMIT_REQUESTS_PER_ADDRESS="1000000/minute",
            PYTHONUNBUFFERED="1",
        )
        env.update(overrides)
        return env

    def cli(self, *args: str, **overrides: str) -> str:
        """Run an `appointment-api` command to completion; its standard output."""
        result = subprocess.run(
            [str(CLI), *args],
            env=self.env(**overrides),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
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
    def base_url(self) -> str:
        if self._port is None:
            raise ServiceError("the API has not been started")
        return f"http://127.0.0.1:{self._port}"

    def start_api(self, **overrides: str) -> ChildProcess:
        port = free_port()
        self._port = port
        self.api = ChildProcess(
            "api", ["serve"], self.env(PORT=str(port), **overrides), self.workdir
        )
        api = self.api
        wait_until(
            lambda: _answers(f"{self.base_url}/healthz"),
            what="/healthz of the served API",
            still_alive=api.check_alive,
            timeout=START_TIMEOUT_SECONDS,
        )
        return api

    def start_workers(self, count: int = 1, **overrides: str) -> list[ChildProcess]:
        """Start `count` workers at once, then wait until each has opened its queue."""
        first = len(self.workers) + 1
        started = [
            ChildProcess(f"worker-{number}", ["worker"], self.env(**overrides), self.workdir)
            for number in range(first, first + count)
        ]
        self.workers.extend(started)
        for worker in started:
            worker.wait_for_output(WORKER_READY_LINE)
        return started

    def stop(self) -> dict[str, int]:
        """SIGTERM to whatever still runs; the exit code of each."""
        codes: dict[str, int] = {}
        for process in [*self.workers, *([self.api] if self.api else [])]:
            if process.alive:
                codes[process.name] = process.terminate()
        return codes

    def report(self) -> str:
        """The end of every process's output, for a failing test."""
        parts = [f"--- {p.name} ---\n{log_tail(p.log_path, 60)}" for p in self._processes()]
        return "\n".join(parts) or "(no process was started)"

    def _processes(self) -> list[ChildProcess]:
        return [*([self.api] if self.api else []), *self.workers]

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


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


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
