"""One launcher for the whole stack on this machine: PostgreSQL, Redis, moto's SQS server,
N API processes (`appointment-api serve`) and M workers (`appointment-api worker`), each on a
free port of 127.0.0.1 and in a process group of its own.

`make stack` and `make stack-smoke` (scripts/stack.py), the end-to-end tests (tests/e2e)
and every benchmark suite (bench/) start their processes here, so they all wait, log and
stop the same way:

- `Servers` starts the servers (each optional) at once and stops them, also when one of
  them fails to start;
- `Deployment` runs the app's processes on given servers: one-off commands (`migrate`,
  `seed`, `queues create`, `token`), APIs and workers, each with its log file, stopped
  together with SIGTERM, each within its grace period, then killed with its group;
- `launched()` is both: a fresh database and queues, the processes up and ready, and
  everything stopped on the way out, whatever happens inside.

Every process gets exactly the settings given here (`app_environment`), whatever the
caller's shell holds.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from infra.config import Settings
from support.postgres import PostgresAdmin, PostgresCluster
from support.processes import ServiceError, free_port, kill_group, log_tail, wait_until
from support.services import RedisServer, SqsServer

CLI = Path(sys.executable).with_name("appointment-api")
# Two cores shared with whatever else runs: a Python process with the app's imports, or a
# migration, can take many seconds to start.
START_TIMEOUT_SECONDS = 120.0
COMMAND_TIMEOUT_SECONDS = 120.0
# compose.yaml's stop_grace_period: docker's default (10 s) for an API, 30 s for a worker.
API_GRACE_SECONDS = 10.0
WORKER_GRACE_SECONDS = 30.0
WORKER_READY_LINE = "worker started"
ADDRESS_IN_USE = "address already in use"
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 60
# moto's default account, as in compose.yaml's queue URLs; moto accepts any credentials.
AWS_ACCOUNT = "123456789012"
AWS_REGION = "us-east-1"
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
QUEUE_NAME = "appointments.fifo"
DEAD_LETTER_QUEUE_NAME = "appointments-dlq.fifo"


# --- one process -------------------------------------------------------------------------


class AppProcess:
    """One long-running command (by default an `appointment-api` one) as our child, in a
    process group of its own, its output appended to `<workdir>/<name>.log`."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: Mapping[str, str],
        workdir: Path,
        *,
        grace: float = API_GRACE_SECONDS,
        command: list[str] | None = None,
    ) -> None:
        self.name = name
        self.grace = grace
        self.log_path = workdir / f"{name}.log"
        # An earlier run's lines stay readable, and are not this one's.
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command or [str(CLI), *args],
                env=dict(env),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Out of the terminal's process group: the launcher stops it, in order.
                start_new_session=True,
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
        """What this run printed (stdout and stderr)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode("utf-8", errors="replace")

    def printed(self, text: str) -> bool:
        return text in self.output()

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
                f"{self.name} exited {self._process.returncode}:\n"
                f"{log_tail(self.log_path, LOG_TAIL_LINES)}"
            )

    def wait_for_output(self, line: str, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
        wait_until(
            lambda: self.printed(line),
            what=f"{self.name} to print {line!r}",
            still_alive=self.check_alive,
            timeout=timeout,
        )

    def resident_kib(self) -> int:
        """Its resident memory (VmRSS), in KiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        [line] = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        return int(line.split()[1])

    def send_signal(self, signum: signal.Signals) -> None:
        self._process.send_signal(signum)

    def pause(self) -> None:
        """SIGSTOP: frozen where it is, holding whatever it holds, until `resume`."""
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def wait(self, timeout: float) -> int:
        """The exit code, once it has exited by itself within `timeout` seconds."""
        return self._process.wait(timeout=timeout)

    def ask_to_stop(self) -> None:
        """SIGTERM (and SIGCONT, should it be paused); `stopped_by` waits for it."""
        if self.alive:
            self._process.send_signal(signal.SIGTERM)
            self._process.send_signal(signal.SIGCONT)

    def stopped_by(self, deadline: float) -> tuple[int, bool]:
        """(exit code, whether it had to be killed) once it is gone; killed with its group
        at `deadline` (time.monotonic()) if it is still there."""
        try:
            return self._process.wait(timeout=max(0.0, deadline - time.monotonic())), False
        except subprocess.TimeoutExpired:
            kill_group(self._process)
            return self._process.wait(), True

    def terminate(self, timeout: float | None = None) -> int:
        """SIGTERM and the exit code; killed, and an error, if it ignores it for `timeout`
        seconds (its grace period by default)."""
        self.ask_to_stop()
        wait = self.grace if timeout is None else timeout
        code, killed = self.stopped_by(time.monotonic() + wait)
        if killed:
            raise ServiceError(f"{self.name} ignored SIGTERM for {wait:.0f} s")
        return code

    def kill(self) -> int:
        """SIGKILL to it and its group: no cleanup, no goodbye; the exit code once gone."""
        kill_group(self._process)
        return self._process.wait()


@dataclass
class Api:
    """One `appointment-api serve` process and where it answers."""

    process: AppProcess
    port: int

    @property
    def name(self) -> str:
        return self.process.name

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.http_url

    def check_alive(self) -> None:
        self.process.check_alive()

    @property
    def graphql_url(self) -> str:
        return f"{self.http_url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return check


# --- the settings every process gets ----------------------------------------------------


def clean_environment() -> dict[str, str]:
    """The caller's environment without any app setting, AWS variable or libpq PG* variable:
    the processes get exactly the settings given to them, whatever the shell holds."""
    app_variables = {name.upper() for name in Settings.model_fields}
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in app_variables and not name.upper().startswith(("AWS_", "PG"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def queue_urls(sqs_endpoint: str, queue: str = QUEUE_NAME) -> tuple[str, str]:
    """The URLs moto gives a queue named `queue` and its dead-letter queue."""
    dead_letters = queue.removesuffix(".fifo") + "-dlq.fifo"
    return f"{sqs_endpoint}/{AWS_ACCOUNT}/{queue}", f"{sqs_endpoint}/{AWS_ACCOUNT}/{dead_letters}"


@dataclass(frozen=True)
class Endpoints:
    """Where a deployment's servers answer. Without `sqs_endpoint`, `serve` runs the
    embedded mode (relay and worker in its own process, on an in-process queue)."""

    database_url: str
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    redis_url: str | None = None
    sqs_endpoint: str | None = None
    queue_url: str | None = None
    dead_letter_url: str | None = None


def app_environment(
    *, database_url: str, redis_url: str, sqs_endpoint: str, jwt_secret: str, app_env: str
) -> dict[str, str]:
    """compose.yaml's `x-app` environment, pointed at this stack's servers."""
    queue, dead_letters = queue_urls(sqs_endpoint)
    return {
        "APP_ENV": app_env,
        "DATABASE_URL": database_url,
        "SQS_QUEUE_URL": queue,
        "SQS_DLQ_URL": dead_letters,
        "AWS_ENDPOINT_URL": sqs_endpoint,
        "AWS_REGION": AWS_REGION,
        **AWS_CREDENTIALS,
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


def environment(
    endpoints: Endpoints, *, app_env: str = "development", **settings: str
) -> dict[str, str]:
    """Every process's environment: the endpoints, then `settings` on top."""
    env = clean_environment()
    env.update(APP_ENV=app_env, HOST="127.0.0.1")
    env.update(DATABASE_URL=endpoints.database_url, JWT_SECRET=endpoints.jwt_secret)
    if endpoints.redis_url is not None:
        env["REDIS_URL"] = endpoints.redis_url
    if endpoints.sqs_endpoint is not None:
        queue, dead_letters = queue_urls(endpoints.sqs_endpoint)
        env.update(
            SQS_QUEUE_URL=endpoints.queue_url or queue,
            SQS_DLQ_URL=endpoints.dead_letter_url or dead_letters,
            AWS_ENDPOINT_URL=endpoints.sqs_endpoint,
            AWS_REGION=AWS_REGION,
            AWS_DEFAULT_REGION=AWS_REGION,
            **AWS_CREDENTIALS,
        )
    env.update(settings)
    return env


# --- the app's processes on given servers ----------------------------------------------------


class Deployment:
    """The app's processes on servers that run already: one-off commands, APIs and workers
    (and any other server, e.g. a benchmark's floor), each logging to `workdir`."""

    def __init__(self, workdir: Path, env: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.env = dict(env)
        self.apis: list[Api] = []
        self.workers: list[AppProcess] = []
        # Other servers started with `start_server`.
        self.others: list[Api] = []

    @property
    def processes(self) -> list[AppProcess]:
        return [*(api.process for api in [*self.apis, *self.others]), *self.workers]

    def run(self, name: str, *args: str, **settings: str) -> str:
        """An `appointment-api` command to completion; its standard output (also logged to
        `<name>.log`)."""
        log_path = self.workdir / f"{name}.log"
        result = subprocess.run(
            [str(CLI), *args],
            env={**self.env, **settings},
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        log_path.write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode != 0:
            raise ServiceError(
                f"appointment-api {' '.join(args)} exited {result.returncode}:\n"
                f"{log_tail(log_path, LOG_TAIL_LINES)}"
            )
        return result.stdout

    def start_apis(
        self,
        count: int = 1,
        *,
        metrics: bool = False,
        ready_path: str = "/healthz",
        **settings: str,
    ) -> list[Api]:
        """`count` more `serve` processes started at once; returned once each answers
        `ready_path`. `metrics`: each serves /metrics on a port of its own."""
        first = len(self.apis) + 1
        numbers = range(first, first + count)
        with ThreadPoolExecutor(max_workers=max(1, count)) as pool:
            futures = [
                pool.submit(self._start_api, f"api-{n}", metrics, ready_path, settings)
                for n in numbers
            ]
            errors = []
            for future in futures:
                try:
                    self.apis.append(future.result())
                except ServiceError as error:
                    errors.append(str(error))
        if errors:
            raise ServiceError("\n".join(errors))
        self.apis.sort(key=lambda api: int(api.name.rpartition("-")[2]))
        return self.apis[first - 1 :]

    def _start_api(
        self, name: str, metrics: bool, ready_path: str, settings: Mapping[str, str]
    ) -> Api:
        for _ in range(PORT_ATTEMPTS):
            # Chosen at the last moment; still, another process may take it first.
            port = free_port()
            extra = api_environment(port, free_port()) if metrics else {"PORT": str(port)}
            api = Api(
                AppProcess(name, ["serve"], {**self.env, **extra, **settings}, self.workdir),
                port,
            )
            try:
                wait_until(
                    answers(f"{api.http_url}{ready_path}"),
                    what=f"{name} {ready_path}",
                    still_alive=api.process.check_alive,
                    timeout=START_TIMEOUT_SECONDS,
                )
            except ServiceError:
                if api.process.alive or not api.process.printed(ADDRESS_IN_USE):
                    api.process.kill()
                    raise
                continue
            except BaseException:
                api.process.kill()
                raise
            return api
        raise ServiceError(f"{name}: no free port in {PORT_ATTEMPTS} attempts")

    def start_workers(
        self, count: int = 1, *, metrics: bool = False, **settings: str
    ) -> list[AppProcess]:
        """`count` more `worker` processes started at once; returned once each has opened
        its queue."""
        first = len(self.workers) + 1
        started = []
        for number in range(first, first + count):
            extra = worker_environment(free_port()) if metrics else {}
            worker = AppProcess(
                f"worker-{number}",
                ["worker"],
                {**self.env, **extra, **settings},
                self.workdir,
                grace=WORKER_GRACE_SECONDS,
            )
            self.workers.append(worker)
            started.append(worker)
        for worker in started:
            worker.wait_for_output(WORKER_READY_LINE)
        return started

    def start_server(
        self, name: str, command: list[str], env: Mapping[str, str], port: int, ready_path: str
    ) -> Api:
        """Any other HTTP server on `port` (e.g. a benchmark's floor), stopped with the rest."""
        server = Api(AppProcess(name, [], env, self.workdir, command=command), port)
        self.others.append(server)
        wait_until(
            answers(f"{server.http_url}{ready_path}"),
            what=f"{name} {ready_path}",
            still_alive=server.process.check_alive,
            timeout=START_TIMEOUT_SECONDS,
        )
        return server

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()

    def stop(self) -> list[str]:
        """SIGTERM to every process at once; each killed with its group after its grace
        period. What did not stop cleanly, one line each."""
        processes = self.processes
        for process in processes:
            process.ask_to_stop()
        now = time.monotonic()
        problems = []
        for process in processes:
            code, killed = process.stopped_by(now + process.grace)
            if killed:
                problems.append(f"{process.name} ignored SIGTERM for {process.grace:.0f} s: killed")
            elif code not in (0, -signal.SIGTERM):
                # uvicorn re-raises SIGTERM once it has shut down gracefully: -15 is clean.
                problems.append(f"{process.name} exited {code}")
        self.apis, self.workers, self.others = [], [], []
        return problems

    def report(self) -> str:
        """The end of every process's output, for a failure."""
        parts = [
            f"--- {p.name}: {p.log_path} ---\n{log_tail(p.log_path, LOG_TAIL_LINES)}"
            for p in self.processes
        ]
        return "\n".join(parts) or "(no process was started)"


# --- the servers -----------------------------------------------------------------------------


class Servers:
    """PostgreSQL, Redis and moto's SQS server, each optional, started at once."""

    def __init__(
        self,
        workdir: Path,
        *,
        postgres: PostgresCluster | None = None,
        redis: bool = True,
        sqs: bool = True,
    ) -> None:
        self.postgres = postgres
        self.redis = RedisServer(workdir) if redis else None
        self.sqs = SqsServer(workdir) if sqs else None

    def start(self) -> None:
        """Every server up and answering, or none: a failure stops those that started."""
        starts = [
            server.start for server in (self.postgres, self.redis, self.sqs) if server is not None
        ]
        try:
            with ThreadPoolExecutor(max_workers=max(1, len(starts))) as pool:
                for future in [pool.submit(start) for start in starts]:
                    future.result()
        except BaseException:
            self.stop()
            raise

    def check_alive(self) -> None:
        for server in (self.redis, self.sqs):
            if server is not None and not server.running:
                raise ServiceError(
                    f"{server.name} exited:\n{log_tail(server.log_path, LOG_TAIL_LINES)}"
                )

    def logs(self) -> list[tuple[str, Path]]:
        found: list[tuple[str, Path | None]] = [
            ("postgres", self.postgres.log_path if self.postgres else None),
            ("redis", self.redis.log_path if self.redis else None),
            ("sqs", self.sqs.log_path if self.sqs else None),
        ]
        return [(name, path) for name, path in found if path is not None]

    def stop(self) -> list[str]:
        problems = []
        for server in (self.redis, self.sqs, self.postgres):
            if server is None:
                continue
            try:
                server.stop()
            except ServiceError as error:
                problems.append(str(error))
        return problems


def create_database(admin_url: str, name: str, *, owner: str | None, password: str) -> None:
    """`name`, empty; owned by the login role `owner` (created with `password`) if given."""
    admin = PostgresAdmin(admin_url)
    admin.drop_database(name)
    if owner is None:
        admin.create_database(name)
        return
    quoted = password.replace("'", "''")
    admin.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN "
        f"CREATE ROLE {owner} LOGIN PASSWORD '{quoted}'; END IF; END $$",
        f"CREATE DATABASE {name} OWNER {owner}",
    )


# --- the whole stack -------------------------------------------------------------------------


@dataclass(frozen=True)
class StackOptions:
    apis: int = 2
    workers: int = 2
    redis: bool = True
    sqs: bool = True
    app_env: str = "development"
    # initdb's durability defaults (benchmarks), or throwaway settings (tests, make stack).
    durable: bool = False
    postgres_settings: tuple[str, ...] = ()
    # The demo world (`appointment-api seed`) after the migrations.
    seed: bool = False
    # Each API and worker serves /metrics on a port of its own (as compose.yaml sets).
    metrics: bool = False
    # On top of the endpoints, for every process.
    settings: Mapping[str, str] = field(default_factory=dict)
    database: str = "appointments"
    database_user: str | None = "appointments"
    database_password: str = field(default="appointments", repr=False)
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)


class Stack:
    """The servers, a database migrated (and seeded), the queues, the APIs and workers."""

    def __init__(self, workdir: Path, options: StackOptions) -> None:
        self.workdir = workdir
        self.options = options
        self.postgres = PostgresCluster(
            parent=workdir, durable=options.durable, settings=options.postgres_settings
        )
        self.servers = Servers(
            workdir, postgres=self.postgres, redis=options.redis, sqs=options.sqs
        )
        self.deployment = Deployment(workdir, clean_environment())

    @property
    def database_url(self) -> str:
        o = self.options
        who = "postgres" if o.database_user is None else o.database_user
        if o.database_user is not None:
            who += ":" + quote(o.database_password, safe="")
        return f"postgresql+asyncpg://{who}@127.0.0.1:{self.postgres.port}/{o.database}"

    @property
    def endpoints(self) -> Endpoints:
        redis, sqs = self.servers.redis, self.servers.sqs
        return Endpoints(
            database_url=self.database_url,
            jwt_secret=self.options.jwt_secret,
            redis_url=redis.url if redis else None,
            sqs_endpoint=sqs.endpoint_url if sqs else None,
        )

    @property
    def apis(self) -> list[Api]:
        return self.deployment.apis

    @property
    def workers(self) -> list[AppProcess]:
        return self.deployment.workers

    def env(self, **settings: str) -> dict[str, str]:
        return environment(
            self.endpoints, app_env=self.options.app_env, **self.options.settings, **settings
        )

    def start(self, say: Callable[[str], None] = lambda _: None) -> None:
        """Servers, then the one-off commands, then the APIs and workers, each ready."""
        started = time.monotonic()
        self.servers.start()
        parts = ["PostgreSQL", *(["Redis"] if self.options.redis else [])]
        parts += ["SQS"] if self.options.sqs else []
        say(f"servers up: {', '.join(parts)} ({time.monotonic() - started:.1f} s)")
        o = self.options
        create_database(
            self.postgres.admin_url, o.database, owner=o.database_user, password=o.database_password
        )
        self.deployment.env = self.env()
        with ThreadPoolExecutor(max_workers=2) as pool:
            migrated = pool.submit(self._migrate_and_seed)
            queues = (
                pool.submit(self.deployment.run, "queues", "queues", "create") if o.sqs else None
            )
            migrated.result()
            if queues is not None:
                queues.result()
        say(
            f"migrated{', seeded' if o.seed else ''}{', queues created' if o.sqs else ''} "
            f"({time.monotonic() - started:.1f} s)"
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            workers = pool.submit(self.deployment.start_workers, o.workers, metrics=o.metrics)
            apis = pool.submit(
                self.deployment.start_apis, o.apis, metrics=o.metrics, ready_path="/readyz"
            )
            apis.result()
            workers.result()
        say(
            f"{o.apis} APIs ready, {o.workers} workers started ({time.monotonic() - started:.1f} s)"
        )

    def _migrate_and_seed(self) -> None:
        self.deployment.run("migrate", "migrate")
        if self.options.seed:
            self.deployment.run("seed", "seed")

    def check_alive(self) -> None:
        """Raise if any process has stopped by itself."""
        self.deployment.check_alive()
        self.servers.check_alive()

    def logs(self) -> list[tuple[str, Path]]:
        found = self.servers.logs()
        found += [(p.name, p.log_path) for p in self.deployment.processes]
        one_off = [(name, self.workdir / f"{name}.log") for name in ("migrate", "seed", "queues")]
        return found + [(name, path) for name, path in one_off if path.exists()]

    def report(self) -> str:
        return "\n".join(
            f"--- {name}: {path} ---\n{log_tail(path, LOG_TAIL_LINES)}"
            for name, path in self.logs()
        )

    def stop(self) -> list[str]:
        """The app first (SIGTERM, its grace period, SIGKILL), then the servers. What did not
        stop cleanly, one line each."""
        return self.deployment.stop() + self.servers.stop()

    @contextmanager
    def running(self, say: Callable[[str], None] = lambda _: None) -> Iterator["Stack"]:
        """Started inside the block; everything stopped after it, whatever happens (a
        failure to start included). What did not stop cleanly (e.g. a worker still
        draining its queue after its grace period, then killed) is said, one line each,
        and kept in `problems`."""
        self.problems: list[str] = []
        try:
            self.start(say)
            yield self
        finally:
            self.problems = self.stop()
            for problem in self.problems:
                say(f"not a clean stop: {problem}")


@contextmanager
def launched(
    workdir: Path, options: StackOptions | None = None, say: Callable[[str], None] = lambda _: None
) -> Iterator[Stack]:
    """The stack up inside the block; everything stopped after it (see `Stack.running`)."""
    with Stack(workdir, options or StackOptions()).running(say) as stack:
        yield stack
