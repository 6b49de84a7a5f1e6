"""The full stack on this machine, without Docker: what compose.yaml runs, as child processes.

    .venv/bin/python scripts/stack.py run [--workdir DIR] [--graphiql]
    .venv/bin/python scripts/stack.py smoke [--workdir DIR]

Both start a private PostgreSQL cluster (initdb/pg_ctl), redis-server without
persistence and moto's SQS server, each on a free port of 127.0.0.1; then, once,
`appointment-api migrate`, `seed` and `queues create`; then two `serve` replicas and
two `worker` processes with the environment compose.yaml gives them (same variable
names; APP_ENV production unless set; a random JWT_SECRET unless set).

`run` prints the URLs, two tokens and where every log is, and stays in the
foreground until Ctrl-C or SIGTERM. `smoke` drives one booking through the stack
(a free slot, the request on replica 1, PENDING then CONFIRMED on a subscription on
replica 2, the list) and exits 0, or 1 with the end of every log. Both stop every
child (SIGTERM, a grace period, then SIGKILL) and remove the temporary folder; a
folder given with --workdir keeps the logs (the database goes with the cluster).
"""

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
# The test suite's servers (support/) and websocket client (live_client.py) are reused as is.
sys.path.insert(0, str(ROOT / "tests"))

from infra.config import Settings  # noqa: E402
from live_client import Operation, live_client  # noqa: E402
from support.postgres import PostgresAdmin, PostgresCluster  # noqa: E402
from support.processes import ServiceError, free_port, log_tail, wait_until  # noqa: E402
from support.services import RedisServer, SqsServer  # noqa: E402

CLI = Path(sys.executable).with_name("appointment-api")

# What compose.yaml runs; tests/e2e/test_stack_script.py holds the two together.
MIGRATE = ["migrate"]
CREATE_QUEUES = ["queues", "create"]
SERVE = ["serve"]
WORK = ["worker"]
API_REPLICAS = 2
WORKERS = 2
# Not in compose.yaml, whose database starts empty: the demo world the tokens and smoke use.
SEED = ["seed"]
ONE_OFF_LOGS = ("migrate", "seed", "queues")
DATABASE = "appointments"
DATABASE_USER = "appointments"
QUEUE_NAME = "appointments.fifo"
DEAD_LETTER_QUEUE_NAME = "appointments-dlq.fifo"
AWS_ACCOUNT = "123456789012"  # moto's default account, as in compose.yaml's queue URLs
AWS_REGION = "us-east-1"

# Two cores shared with whatever else runs: starting Python with the app's imports takes seconds.
START_TIMEOUT_SECONDS = 120.0
SETUP_TIMEOUT_SECONDS = 120.0
# compose's stop_grace_period: docker's default (10 s) for the API, 30 s for a worker.
API_GRACE_SECONDS = 10.0
WORKER_GRACE_SECONDS = 30.0
DECISION_WITHIN_SECONDS = 60.0
WATCH_SECONDS = 1.0
LOG_TAIL_LINES = 40
TOKEN_TTL_SECONDS = 12 * 3600
WORKER_READY_LINE = "worker started"
ADDRESS_IN_USE = "address already in use"
PORT_ATTEMPTS = 3


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop everything (a BaseException, so no `except Exception` eats it)."""


class StackFailed(Exception):
    """The stack did not start, a process died, or the smoke saw something wrong."""


def say(message: str) -> None:
    print(message, flush=True)


# --- processes ---------------------------------------------------------------------------------


def _setsid() -> str:
    found = shutil.which("setsid")
    if found is None:
        raise ServiceError("setsid (util-linux) not found")
    return found


class StackRedis(RedisServer):
    """Redis in a session of its own: a Ctrl-C at the terminal reaches only this script,
    which stops the servers after the processes that use them."""

    def command(self) -> list[str]:
        return [_setsid(), *super().command()]


class StackSqs(SqsServer):
    """moto's SQS server, in a session of its own (see StackRedis)."""

    def command(self) -> list[str]:
        return [_setsid(), *super().command()]


class AppProcess:
    """One long-running `appointment-api` command, its output in `<workdir>/<name>.log`."""

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], workdir: Path, grace: float
    ) -> None:
        self.name = name
        self.grace = grace
        self.log_path = workdir / f"{name}.log"
        # Appended to: an earlier attempt's lines stay readable, and are not this one's.
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(CLI), *args],
                env=dict(env),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Out of the terminal's process group: we stop it, in order, on Ctrl-C.
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def check_alive(self) -> None:
        if not self.alive:
            raise ServiceError(
                f"{self.name} exited {self._process.returncode}:\n"
                f"{log_tail(self.log_path, LOG_TAIL_LINES)}"
            )

    def printed(self, text: str) -> bool:
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return text in log.read().decode("utf-8", errors="replace")

    def terminate(self) -> None:
        if self.alive:
            self._process.send_signal(signal.SIGTERM)

    def wait_stopped(self, deadline: float) -> tuple[int, bool]:
        """(exit code, whether it had to be killed) once it is gone."""
        try:
            return self._process.wait(timeout=max(0.0, deadline - time.monotonic())), False
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait(), True


def run_command(name: str, args: list[str], env: Mapping[str, str], workdir: Path) -> str:
    """Run an `appointment-api` command to completion; its standard output (also logged)."""
    log_path = workdir / f"{name}.log"
    result = subprocess.run(  # noqa: S603 - our own console script
        [str(CLI), *args],
        env=dict(env),
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_SECONDS,
        check=False,
    )
    log_path.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise StackFailed(
            f"appointment-api {' '.join(args)} exited {result.returncode}:\n"
            f"{log_tail(log_path, LOG_TAIL_LINES)}"
        )
    return result.stdout


def _answers_at(url: str) -> Callable[[], bool]:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return answers


def _printed_by(process: AppProcess, text: str) -> Callable[[], bool]:
    return lambda: process.printed(text)


# --- the environment compose.yaml sets ---------------------------------------------------------


def base_environment() -> dict[str, str]:
    """The caller's environment without any app setting or AWS variable: the processes get
    exactly the variables compose.yaml gives its containers, whatever the shell holds."""
    app_variables = {name.upper() for name in Settings.model_fields}
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in app_variables and not name.upper().startswith("AWS_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def app_environment(
    *, database_url: str, redis_url: str, sqs_endpoint: str, jwt_secret: str, app_env: str
) -> dict[str, str]:
    """compose.yaml's `x-app` environment, pointed at this stack's servers."""
    return {
        "APP_ENV": app_env,
        "DATABASE_URL": database_url,
        "SQS_QUEUE_URL": f"{sqs_endpoint}/{AWS_ACCOUNT}/{QUEUE_NAME}",
        "SQS_DLQ_URL": f"{sqs_endpoint}/{AWS_ACCOUNT}/{DEAD_LETTER_QUEUE_NAME}",
        "AWS_ENDPOINT_URL": sqs_endpoint,
        "AWS_REGION": AWS_REGION,
        # moto accepts any credentials.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "REDIS_URL": redis_url,
        "JWT_SECRET": jwt_secret,
    }


def api_environment(port: int, metrics_port: int) -> dict[str, str]:
    """What compose.yaml adds for an API replica; here on 127.0.0.1, not every interface.
    Its /metrics is on a port of its own, never the public one."""
    return {"HOST": "127.0.0.1", "PORT": str(port), "METRICS_PORT": str(metrics_port)}


def worker_environment(metrics_port: int) -> dict[str, str]:
    """What compose.yaml adds for a worker: where its /metrics is served."""
    return {"HOST": "127.0.0.1", "WORKER_METRICS_PORT": str(metrics_port)}


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    workdir: Path
    graphiql: bool = False
    app_env: str = field(default_factory=lambda: os.environ.get("APP_ENV") or "production")
    jwt_secret: str = field(
        default_factory=lambda: os.environ.get("JWT_SECRET") or secrets.token_hex(32), repr=False
    )
    database_password: str = field(
        default_factory=lambda: os.environ.get("POSTGRES_PASSWORD") or "appointments", repr=False
    )

    def __post_init__(self) -> None:
        self.postgres = PostgresCluster(parent=self.workdir)
        self.redis = StackRedis(self.workdir)
        self.sqs = StackSqs(self.workdir)
        self.api_ports: list[int] = []
        self.apis: list[AppProcess] = []
        self.workers: list[AppProcess] = []
        self.tokens: dict[str, str] = {}

    @property
    def database_url(self) -> str:
        password = quote(self.database_password, safe="")
        return (
            f"postgresql+asyncpg://{DATABASE_USER}:{password}@127.0.0.1:{self.postgres.port}"
            f"/{DATABASE}"
        )

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    def env(self, **extra: str) -> dict[str, str]:
        env = base_environment()
        env.update(
            app_environment(
                database_url=self.database_url,
                redis_url=self.redis.url,
                sqs_endpoint=self.sqs.endpoint_url,
                jwt_secret=self.jwt_secret,
                app_env=self.app_env,
            )
        )
        if self.graphiql:
            env.update(GRAPHIQL_ENABLED="true", INTROSPECTION_ENABLED="true")
        env.update(extra)
        return env

    # --- start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Servers, then the one-off commands, then the replicas and workers, each ready."""
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=3) as pool:
            servers = [
                pool.submit(self._start_postgres),
                pool.submit(self.redis.start),
                pool.submit(self.sqs.start),
            ]
            for future in servers:
                future.result()
        say(f"servers up: PostgreSQL, Redis, SQS ({time.monotonic() - started:.1f} s)")
        with ThreadPoolExecutor(max_workers=4) as pool:
            migrated = pool.submit(self._migrate_and_seed)
            queues = pool.submit(run_command, "queues", CREATE_QUEUES, self.env(), self.workdir)
            tokens = {
                role: pool.submit(self._token, role, subject)
                for role, subject in (("admin", "admin-1"), ("patient", "patient-1"))
            }
            migrated.result()
            queues.result()
            self.tokens = {role: future.result() for role, future in tokens.items()}
        say(f"migrated, seeded, queues created ({time.monotonic() - started:.1f} s)")
        for number in range(1, WORKERS + 1):
            self.workers.append(
                AppProcess(
                    f"worker-{number}",
                    WORK,
                    self.env(**worker_environment(free_port())),
                    self.workdir,
                    WORKER_GRACE_SECONDS,
                )
            )
        with ThreadPoolExecutor(max_workers=API_REPLICAS) as pool:
            replicas = [pool.submit(self._start_api, n) for n in range(1, API_REPLICAS + 1)]
            self.api_ports = [future.result() for future in replicas]
        self.apis.sort(key=lambda api: api.name)
        for worker in self.workers:
            wait_until(
                _printed_by(worker, WORKER_READY_LINE),
                what=f"{worker.name} to open the queue",
                still_alive=worker.check_alive,
                timeout=START_TIMEOUT_SECONDS,
            )
        say(
            f"{API_REPLICAS} API replicas ready, {WORKERS} workers started "
            f"({time.monotonic() - started:.1f} s)"
        )

    def _start_api(self, number: int) -> int:
        """Replica `number` serving on a free port, once ready; its port."""
        for _ in range(PORT_ATTEMPTS):
            # Chosen at the last moment; still, another process may take it first.
            port = free_port()
            api = AppProcess(
                f"api-{number}",
                SERVE,
                self.env(**api_environment(port, free_port())),
                self.workdir,
                API_GRACE_SECONDS,
            )
            self.apis.append(api)
            try:
                wait_until(
                    _answers_at(f"http://127.0.0.1:{port}/readyz"),
                    what=f"{api.name} /readyz",
                    still_alive=api.check_alive,
                    timeout=START_TIMEOUT_SECONDS,
                )
            except ServiceError:
                if api.alive or not api.printed(ADDRESS_IN_USE):
                    raise
                self.apis.remove(api)
                continue
            return port
        raise StackFailed(f"api-{number}: no free port in {PORT_ATTEMPTS} attempts")

    def _start_postgres(self) -> None:
        self.postgres.start()
        password = self.database_password.replace("'", "''")
        PostgresAdmin(self.postgres.admin_url).execute(
            f"CREATE ROLE {DATABASE_USER} LOGIN PASSWORD '{password}'",
            f"CREATE DATABASE {DATABASE} OWNER {DATABASE_USER}",
        )

    def _migrate_and_seed(self) -> None:
        run_command("migrate", MIGRATE, self.env(), self.workdir)
        run_command("seed", SEED, self.env(), self.workdir)

    def _token(self, role: str, subject: str) -> str:
        args = ["token", "--role", role, "--sub", subject, "--ttl", str(TOKEN_TTL_SECONDS)]
        return run_command(f"token-{role}", args, self.env(), self.workdir).strip()

    # --- while it runs ----------------------------------------------------------------------

    def check(self) -> None:
        """Raise if any process has stopped by itself (compose would restart it; we stop)."""
        for process in [*self.apis, *self.workers]:
            process.check_alive()
        for server in (self.redis, self.sqs):
            if not server.running:
                raise ServiceError(
                    f"{server.name} exited:\n{log_tail(server.log_path, LOG_TAIL_LINES)}"
                )

    def logs(self) -> list[tuple[str, Path]]:
        found = [("postgres", self.postgres.log_path), ("redis", self.redis.log_path)]
        found.append(("sqs", self.sqs.log_path))
        found += [(p.name, p.log_path) for p in [*self.apis, *self.workers]]
        one_off = [(name, self.workdir / f"{name}.log") for name in ONE_OFF_LOGS]
        found += [(name, path) for name, path in one_off if path.exists()]
        return [(name, path) for name, path in found if path is not None]

    def report(self) -> str:
        return "\n".join(
            f"--- {name}: {path} ---\n{log_tail(path, LOG_TAIL_LINES)}"
            for name, path in self.logs()
        )

    # --- stop -------------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """Everything down: the app first (SIGTERM, its grace period, SIGKILL), then the
        servers. What did not stop cleanly, one line each."""
        problems = []
        processes = [*self.apis, *self.workers]
        for process in processes:
            process.terminate()
        now = time.monotonic()
        for process in processes:
            code, killed = process.wait_stopped(now + process.grace)
            if killed:
                problems.append(f"{process.name} ignored SIGTERM for {process.grace:.0f} s: killed")
            elif code not in (0, -signal.SIGTERM):
                # uvicorn re-raises SIGTERM once it has shut down gracefully: -15 is clean.
                problems.append(f"{process.name} exited {code}")
        self.apis, self.workers = [], []
        for stop in (self.redis.stop, self.sqs.stop, self.postgres.stop):
            try:
                stop()
            except ServiceError as error:
                problems.append(str(error))
        return problems


# --- the smoke: one booking through the stack ------------------------------------------------

SMOKE_PATIENT = "patient-1"
MINE = """
{ appointments(first: 100) {
    nodes { id status scheduledAt endsAt history { cursor } }
    pageInfo { hasNextPage }
} }"""
SLOTS = """
query($from: DateTime!, $to: DateTime!) {
  psychologists(first: 20, filter: {active: true}) {
    nodes {
      id name
      availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) {
        startsAt endsAt
      }
    }
  }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id status } userErrors { code message } }
}"""
EVENTS = """
subscription($after: String) {
  appointmentEvents(after: $after) { appointmentId status version }
}"""
STATUS = """
subscription($id: ID!) {
  appointmentStatus(appointmentId: $id) { status previousStatus rejectionReason version }
}"""
BUSY = {"PENDING", "CONFIRMED"}


async def graphql(url: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise StackFailed(f"{url}: HTTP {response.status_code}: {body}")
    data: dict[str, Any] = body["data"]
    return data


def free_slot(
    psychologists: list[dict[str, Any]], mine: list[dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    """The first slot offered that does not overlap one of the patient's own bookings."""
    busy = [
        (datetime.fromisoformat(a["scheduledAt"]), datetime.fromisoformat(a["endsAt"]))
        for a in mine
        if a["status"] in BUSY
    ]
    for psychologist in psychologists:
        for slot in psychologist["availableSlots"]:
            start = datetime.fromisoformat(slot["startsAt"])
            end = datetime.fromisoformat(slot["endsAt"])
            if all(end <= taken_from or start >= taken_to for taken_from, taken_to in busy):
                return psychologist, slot["startsAt"]
    raise StackFailed("no free slot offered in the next 30 days")


async def next_status(operation: Operation, appointment_id: str, deadline: float) -> dict[str, Any]:
    """The next event of this appointment on the operation (others are skipped)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        data = await operation.next_data(within=left)
        event: dict[str, Any] = next(iter(data.values()))
        if event.get("appointmentId", appointment_id) == appointment_id:
            return event


async def statuses_until_decided(
    operation: Operation, appointment_id: str, *, where: str, since: float
) -> list[str]:
    """The statuses it shows the appointment in, up to its decision; each one printed."""
    seen: list[str] = []
    deadline = since + DECISION_WITHIN_SECONDS
    while not seen or seen[-1] == "PENDING":
        try:
            event = await next_status(operation, appointment_id, deadline)
        except TimeoutError:
            raise StackFailed(
                f"{where}: no decision {DECISION_WITHIN_SECONDS:.0f} s after the request; "
                f"seen: {seen or 'nothing'}"
            ) from None
        seen.append(event["status"])
        say(
            f"   {where}: {event['status']} (version {event['version']}) "
            f"{time.monotonic() - since:.2f} s after the request"
        )
    return seen


async def smoke(stack: Stack) -> None:
    """As patient-1: a free slot, the request on replica 1, the news on replica 2, the list."""
    first, second = stack.api_urls[0], stack.api_urls[1]
    token = stack.tokens["patient"]
    now = datetime.now(UTC)
    window = {
        "from": (now + timedelta(days=2)).isoformat(),
        "to": (now + timedelta(days=30)).isoformat(),
    }
    listing = (await graphql(first, token, MINE))["appointments"]
    if listing["pageInfo"]["hasNextPage"]:
        raise StackFailed(f"{SMOKE_PATIENT} has more appointments than one page")
    mine = listing["nodes"]
    cursors = [event["cursor"] for a in mine for event in a["history"]]
    if not cursors:
        raise StackFailed(f"{SMOKE_PATIENT} has no history in the demo data: was it seeded?")
    found = await graphql(first, token, SLOTS, **window)
    psychologist, starts_at = free_slot(found["psychologists"]["nodes"], mine)
    say(f"1. availableSlots (replica 1): {psychologist['name']} is free at {starts_at}")

    ws_url = second.replace("http://", "ws://", 1) + "/graphql"
    async with live_client(ws_url, token=token) as client:
        # From a cursor of the past, the feed replays what follows it: the request's PENDING
        # cannot fall before the subscription listens.
        feed = await client.subscribe(EVENTS, after=cursors[-1])
        say(f"2. appointmentEvents(after:) open on replica 2 ({ws_url}), {SMOKE_PATIENT}'s feed")
        requested = time.monotonic()
        item = {"psychologistId": psychologist["id"], "scheduledAt": starts_at}
        payload = (await graphql(first, token, REQUEST, input=item))["requestAppointment"]
        if payload["userErrors"] or payload["appointment"]["status"] != "PENDING":
            raise StackFailed(f"requestAppointment was not accepted: {payload}")
        appointment_id = payload["appointment"]["id"]
        say(f"3. requestAppointment (replica 1): {appointment_id} PENDING")
        status = await client.subscribe(STATUS, id=appointment_id)
        say("4. appointmentStatus open on replica 2")
        say("5. what replica 2 sends:")
        # Both read at once: each line is printed as it arrives.
        from_feed, from_status = await asyncio.gather(
            statuses_until_decided(
                feed, appointment_id, where="appointmentEvents", since=requested
            ),
            statuses_until_decided(
                status, appointment_id, where="appointmentStatus", since=requested
            ),
        )
        await feed.stop()
        await status.stop()
    if from_feed != ["PENDING", "CONFIRMED"]:
        raise StackFailed(f"appointmentEvents showed {from_feed}, not PENDING then CONFIRMED")
    # appointmentStatus starts with the current state: PENDING, unless the worker was faster.
    if from_status not in (["PENDING", "CONFIRMED"], ["CONFIRMED"]):
        raise StackFailed(f"appointmentStatus showed {from_status}, not the decision CONFIRMED")

    listed = (await graphql(first, token, MINE))["appointments"]["nodes"]
    ours = [a for a in listed if a["id"] == appointment_id]
    if [a["status"] for a in ours] != ["CONFIRMED"]:
        raise StackFailed(f"appointments (replica 1) does not list it CONFIRMED: {ours}")
    say(f"6. appointments (replica 1): {appointment_id} CONFIRMED at {ours[0]['scheduledAt']}")


# --- the two modes -----------------------------------------------------------------------------


def print_stack(stack: Stack) -> None:
    graphiql = "GraphiQL" if stack.graphiql else "GraphiQL off (--graphiql turns it on)"
    say("")
    say(f"The stack is up (APP_ENV={stack.app_env}), in {stack.workdir}:")
    for number, url in enumerate(stack.api_urls, start=1):
        websocket = url.replace("http://", "ws://", 1)
        say(f"  API replica {number}   {url}/graphql   ({graphiql}; {websocket}/graphql)")
    say(f"  PostgreSQL      {stack.database_url}")
    say(f"  Redis           {stack.redis.url}")
    queues = f"{QUEUE_NAME}, {DEAD_LETTER_QUEUE_NAME}"
    say(f"  SQS (moto)      {stack.sqs.endpoint_url}   queues {queues}")
    hours = TOKEN_TTL_SECONDS // 3600
    say(f'Tokens ({hours} h), as the header {{"Authorization": "Bearer <token>"}}:')
    for role, subject in (("admin", "admin-1"), ("patient", "patient-1")):
        say(f"  {role:<8} {subject:<10} {stack.tokens[role]}")
    say("Logs:")
    for name, path in stack.logs():
        say(f"  {name:<14} {path}")
    say("Ctrl-C (or SIGTERM) stops everything.")


def _raise_interrupted(signum: int, _: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise Interrupted inside the block; ignored after it, so the
    cleanup that follows runs to its end."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stopping:
        signal.signal(signum, _raise_interrupted)
    try:
        yield
    finally:
        for signum in stopping:
            signal.signal(signum, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("mode", choices=["run", "smoke"], nargs="?", default="run")
    parser.add_argument("--workdir", type=Path, help="folder for the logs and the database (kept)")
    parser.add_argument(
        "--graphiql",
        action="store_true",
        help="turn GraphiQL and introspection on (GRAPHIQL_ENABLED, INTROSPECTION_ENABLED); "
        "compose.yaml leaves them as APP_ENV says",
    )
    args = parser.parse_args(argv)

    temporary = args.workdir is None
    if temporary:
        workdir = Path(tempfile.mkdtemp(prefix="appointment-stack-"))
        # As root the cluster runs as the `postgres` user, who must reach its folder inside.
        workdir.chmod(0o755)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(workdir=workdir, graphiql=args.graphiql)
    say(f"stack folder: {workdir}")
    started = time.monotonic()
    failure: str | None = None
    interrupted = False
    try:
        with stopped_by_signals():
            try:
                stack.start()
                if args.mode == "run":
                    print_stack(stack)
                    while True:
                        stack.check()
                        time.sleep(WATCH_SECONDS)
                else:
                    asyncio.run(smoke(stack))
            except Interrupted as signum:
                interrupted = True
                say(f"\n{signum}: stopping everything")
            except (StackFailed, ServiceError, subprocess.TimeoutExpired) as error:
                failure = str(error)
    finally:
        if failure is not None:
            say(f"\nFAILED: {failure}\n\nThe end of each log:\n{stack.report()}")
        problems = stack.stop()
    for problem in problems:
        say(f"not a clean stop: {problem}")
    clean = failure is None and not problems
    if temporary and clean:
        shutil.rmtree(workdir, ignore_errors=True)
    elif temporary:
        say(f"logs kept in {workdir}")
    elapsed = time.monotonic() - started
    if args.mode == "smoke":
        passed = clean and not interrupted
        say(f"smoke {'passed' if passed else 'FAILED'} in {elapsed:.1f} s; everything stopped")
        return 0 if passed else 1
    say(f"stack stopped after {elapsed:.1f} s")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
