"""The full stack as real processes for the subscription tests: API replicas
(`appointment-api serve`), a worker (`appointment-api worker`), PostgreSQL, Redis
and moto's SQS server, each process a child of the test with its own log file.
"""

import functools
import os
import secrets
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from domain.viewer import Role
from infra.auth import issue_token
from infra.config import Settings
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from support.processes import STOP_TIMEOUT_SECONDS, ServiceError, free_port, log_tail, wait_until
from support.services import SqsServer

CLI = Path(sys.executable).with_name("appointment-api")
# Two cores shared with other test runs: a Python process with the app's imports is slow.
START_TIMEOUT_SECONDS = 60.0
WORKER_READY = "worker started"


class Child:
    """One `appointment-api` command run as our child, its output in `<name>.log`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(CLI), *args],
                env=env,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def resident_kib(self) -> int:
        """Its resident memory (VmRSS), in KiB."""
        status = Path(f"/proc/{self._process.pid}/status").read_text()
        [line] = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        return int(line.split()[1])

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def check_alive(self) -> None:
        if not self.alive:
            code = self._process.returncode
            raise ServiceError(f"{self.name} exited {code}:\n{log_tail(self.log_path)}")

    def pause(self) -> None:
        """SIGSTOP: frozen where it is, holding whatever it holds, until `resume`."""
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def terminate(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM (and SIGCONT, should it be paused); the exit code."""
        if self.alive:
            self._process.send_signal(signal.SIGTERM)
            self._process.send_signal(signal.SIGCONT)
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise ServiceError(f"{self.name} ignored SIGTERM for {timeout:.0f} s") from None


@dataclass
class Replica:
    process: Child
    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


@dataclass
class SubscriptionStack:
    workdir: Path
    database_url: str
    redis_url: str
    sqs: SqsServer
    queue_url: str
    dead_letter_url: str
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    replicas: list[Replica] = field(default_factory=list)
    workers: list[Child] = field(default_factory=list)

    def env(self, **overrides: str) -> dict[str, str]:
        """Exactly these settings for every process, whatever the shell holds."""
        app_variables = {name.upper() for name in Settings.model_fields}
        env = {k: v for k, v in os.environ.items() if k.upper() not in app_variables}
        env.update(
            APP_ENV="development",
            HOST="127.0.0.1",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            JWT_SECRET=self.jwt_secret,
            SQS_QUEUE_URL=self.queue_url,
            SQS_DLQ_URL=self.dead_letter_url,
            AWS_ENDPOINT_URL=self.sqs.endpoint_url,
            AWS_REGION=self.sqs.region,
            AWS_DEFAULT_REGION=self.sqs.region,
            # A few test viewers make every request here: the limits are not under test.
            RATE_LIMIT_QUERIES="100000/minute",
            RATE_LIMIT_MUTATIONS="100000/minute",
            RATE_LIMIT_SUBSCRIPTIONS="100000/minute",
            RATE_LIMIT_REQUESTS_PER_ADDRESS="1000000/minute",
            PYTHONUNBUFFERED="1",
        )
        env.update(overrides)
        return env

    def token(self, role: str, subject: str, ttl: timedelta = timedelta(hours=1)) -> str:
        return issue_token(
            secret=self.jwt_secret,
            subject=subject,
            role=Role(role.upper()),
            ttl=ttl,
            now=datetime.now(UTC),
        )

    def start_replicas(self, count: int) -> list[Replica]:
        """Start `count` API replicas at once, then wait until each answers /healthz."""
        first = len(self.replicas) + 1
        started = []
        for number in range(first, first + count):
            port = free_port()
            process = Child(f"api-{number}", ["serve"], self.env(PORT=str(port)), self.workdir)
            started.append(Replica(process, port))
        self.replicas.extend(started)
        for replica in started:
            wait_until(
                functools.partial(_healthy, replica.http_url),
                what=f"/healthz of {replica.process.name}",
                still_alive=replica.process.check_alive,
                timeout=START_TIMEOUT_SECONDS,
            )
        return started

    def start_worker(self) -> Child:
        worker = Child(f"worker-{len(self.workers) + 1}", ["worker"], self.env(), self.workdir)
        self.workers.append(worker)
        wait_until(
            lambda: WORKER_READY in worker.output(),
            what=f"{worker.name} to start",
            still_alive=worker.check_alive,
            timeout=START_TIMEOUT_SECONDS,
        )
        return worker

    def stop(self) -> None:
        for process in [*self.workers, *(replica.process for replica in self.replicas)]:
            if process.alive:
                process.terminate()

    def report(self) -> str:
        """The end of every process's output, for a failing test."""
        processes = [*(replica.process for replica in self.replicas), *self.workers]
        return "\n".join(f"--- {p.name} ---\n{log_tail(p.log_path, 60)}" for p in processes)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


async def create_test_queues(sqs: SqsServer) -> tuple[str, str]:
    name = f"live-{uuid.uuid4().hex[:12]}"
    endpoint = SqsEndpoint(region=sqs.region, endpoint_url=sqs.endpoint_url)
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dlq.fifo")
    return urls.queue, urls.dead_letters
