"""The real server, started as a subprocess on a free port, for tests that drive it from outside;
the full stack (`stack`): the served API and worker processes on PostgreSQL and SQS; and the
replicated stack (`system`): two API replicas and a worker on PostgreSQL, Redis and SQS."""

import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from stack import Database, Stack
from subscription_stack import StackServices, SubscriptionStack

from domain.people import Patient, Psychologist
from infra.config import Settings
from support.postgres import PostgresAdmin
from support.processes import (
    STOP_TIMEOUT_SECONDS,
    ServiceError,
    free_port,
    run_coroutine,
    wait_until,
)
from support.services import RedisServer, SqsServer
from world import World, world_in

STARTUP_TIMEOUT_SECONDS = 60.0  # migrations and demo data come first
OUTPUT_TAIL_CHARS = 20_000
STACK_PSYCHOLOGISTS = 5


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    cli: Path
    env: dict[str, str] = field(repr=False)  # holds the JWT secret
    workdir: Path

    @property
    def output_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def database_url(self) -> str:
        """The server's SQLite database, where a test writes its own data."""
        return self.env["DATABASE_URL"]

    def token(self, role: str, sub: str) -> str:
        """A JWT for `sub` with `role`, signed with the server's secret."""
        result = subprocess.run(
            [str(self.cli), "token", "--role", role, "--sub", sub],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.strip():
            pytest.fail(
                f"`appointment-api token --role {role} --sub {sub}` exited {result.returncode}:\n"
                f"{result.stderr}",
                pytrace=False,
            )
        return result.stdout.strip()

    def server_output(self) -> str:
        """The end of what the server printed (stdout and stderr)."""
        text = self.output_path.read_text(encoding="utf-8", errors="replace")
        return text[-OUTPUT_TAIL_CHARS:]


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    workdir = tmp_path_factory.mktemp("live-api")
    cli = Path(sys.executable).with_name("appointment-api")
    if not cli.exists():
        pytest.fail(f"{cli} is missing: install the project into its virtualenv", pytrace=False)
    port = free_port()
    api = LiveApi(
        base_url=f"http://127.0.0.1:{port}",
        cli=cli,
        env=_server_env(workdir, port=port),
        workdir=workdir,
    )
    with api.output_path.open("wb") as output:
        server = subprocess.Popen(
            [str(cli), "dev"],
            env=api.env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(server, api)
        yield api
    finally:
        _stop(server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    funcargs = getattr(item, "funcargs", {})
    api = funcargs.get("live_api")
    if report.failed and isinstance(api, LiveApi):
        report.sections.append(("appointment-api server output", api.server_output()))
    stack = funcargs.get("stack")
    if report.failed and isinstance(stack, Stack):
        report.sections.append(("appointment-api processes", stack.report()))
    system = funcargs.get("system")
    if report.failed and isinstance(system, SubscriptionStack):
        report.sections.append(("appointment-api processes", system.report()))
    return report


def _wait_until_healthy(server: subprocess.Popen[bytes], api: LiveApi) -> None:
    def still_alive() -> None:
        if server.poll() is not None:
            raise ServiceError(f"`appointment-api dev` exited {server.returncode}")

    try:
        wait_until(
            lambda: _healthy(api.base_url),
            what=f"/healthz of {api.base_url}",
            still_alive=still_alive,
            timeout=STARTUP_TIMEOUT_SECONDS,
        )
    except ServiceError as error:
        pytest.fail(f"{error}; the server printed:\n{api.server_output()}", pytrace=False)


def _server_env(workdir: Path, *, port: int) -> dict[str, str]:
    # The app reads its settings from the environment: drop the developer's own ones so the
    # server runs in the embedded mode with exactly these.
    app_variables = {name.upper() for name in Settings.model_fields}
    env = {name: value for name, value in os.environ.items() if name.upper() not in app_variables}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'e2e.db'}",
        JWT_SECRET=secrets.token_urlsafe(32),
        PYTHONUNBUFFERED="1",
    )
    return env


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the full stack: served API and worker processes on PostgreSQL and SQS ----------------


@pytest.fixture
def stack_database_url(database_url: str) -> str:
    """The migrated database the stack runs on; a module may put it on a server of its own."""
    return database_url


@pytest.fixture
def stack(stack_database_url: str, sqs_server: SqsServer, tmp_path: Path) -> Iterator[Stack]:
    """This test's own database holding a few psychologists and a patient, a queue pair of
    its own; no process yet."""
    database_url = stack_database_url
    psychologists, patients = run_coroutine(lambda: _people(database_url))
    name = f"appointments-{uuid.uuid4().hex[:12]}"
    queue_url, dead_letter_url = run_coroutine(lambda: _create_queues(sqs_server, name))
    stack = Stack(
        workdir=tmp_path,
        database_url=database_url,
        sqs=sqs_server,
        queue_url=queue_url,
        dead_letter_url=dead_letter_url,
        jwt_secret=secrets.token_urlsafe(32),
        psychologists=psychologists,
        patients=patients,
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.database_url)
    try:
        yield db
    finally:
        await db.close()


async def _people(database_url: str) -> tuple[list[Psychologist], list[Patient]]:
    """Psychologists keeping office hours in several time zones, and one patient."""
    # The processes run on the wall clock: so does the data.
    async with world_in(database_url, now=datetime.now(UTC)) as world:
        return await world.psychologists(STACK_PSYCHOLOGISTS), await world.patients(1)


async def _create_queues(sqs: SqsServer, name: str) -> tuple[str, str]:
    from infra.queue.sqs_admin import create_queues
    from infra.queue.sqs_client import SqsEndpoint, sqs_client

    endpoint = SqsEndpoint(region=sqs.region, endpoint_url=sqs.endpoint_url)
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dlq.fifo")
    return urls.queue, urls.dead_letters


# --- the replicated stack: two API replicas and a worker on PostgreSQL, Redis and SQS -------


@pytest.fixture(scope="session")
def stack_services(
    postgres_admin: PostgresAdmin,
    migrated_template: str,
    redis_server: RedisServer,
    sqs_server: SqsServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> StackServices:
    return StackServices(
        postgres_admin, migrated_template, redis_server, sqs_server, tmp_path_factory
    )


@pytest.fixture(scope="module")
def system(
    request: pytest.FixtureRequest, stack_services: StackServices
) -> Iterator[SubscriptionStack]:
    """Two replicas and one worker for the whole module, on an empty database and queues
    of the module's own: each test makes its own data."""
    label = request.module.__name__.removeprefix("test_").removesuffix("_system")
    with stack_services.running(label, replicas=2) as (stack, _):
        yield stack


@pytest.fixture
async def world(system: SubscriptionStack) -> AsyncIterator[World]:
    """This test's own data, in the replicated stack's database, on the processes' (wall)
    clock."""
    async with world_in(system.database_url, now=datetime.now(UTC)) as made:
        yield made
