"""The full stack as real processes for the subscription tests: API replicas
(`appointment-api serve`), a worker (`appointment-api worker`), PostgreSQL, Redis
and moto's SQS server, each process a child of the test with its own log file.
"""

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.viewer import Role
from infra.auth import issue_token
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from support.launcher import Api, AppProcess, Deployment, Endpoints, environment
from support.postgres import PostgresAdmin
from support.processes import run_coroutine
from support.services import RedisServer, SqsServer

# The launcher's pieces, by the names the tests have always used.
Child = AppProcess
Replica = Api


@dataclass
class SubscriptionStack:
    workdir: Path
    database_url: str
    redis_url: str
    sqs: SqsServer
    queue_url: str
    dead_letter_url: str
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def __post_init__(self) -> None:
        self.deployment = Deployment(self.workdir, self.env())

    @property
    def replicas(self) -> list[Replica]:
        return self.deployment.apis

    @property
    def workers(self) -> list[Child]:
        return self.deployment.workers

    def env(self, **overrides: str) -> dict[str, str]:
        """Exactly these settings for every process, whatever the shell holds."""
        endpoints = Endpoints(
            database_url=self.database_url,
            jwt_secret=self.jwt_secret,
            redis_url=self.redis_url,
            sqs_endpoint=self.sqs.endpoint_url,
            queue_url=self.queue_url,
            dead_letter_url=self.dead_letter_url,
        )
        # A few test viewers make every request here: the limits are not under test.
        return environment(
            endpoints,
            RATE_LIMIT_QUERIES="100000/minute",
            RATE_LIMIT_MUTATIONS="100000/minute",
            RATE_LIMIT_SUBSCRIPTIONS="100000/minute",
            RATE_LIMIT_REQUESTS_PER_ADDRESS="1000000/minute",
            **overrides,
        )

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
        return self.deployment.start_apis(count)

    def start_worker(self) -> Child:
        [worker] = self.deployment.start_workers(1)
        return worker

    def stop(self) -> None:
        for process in self.deployment.processes:
            if process.alive:
                process.terminate()

    def report(self) -> str:
        """The end of every process's output, for a failing test."""
        return self.deployment.report()


async def create_test_queues(sqs: SqsServer) -> tuple[str, str]:
    name = f"live-{uuid.uuid4().hex[:12]}"
    endpoint = SqsEndpoint(region=sqs.region, endpoint_url=sqs.endpoint_url)
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dlq.fifo")
    return urls.queue, urls.dead_letters


@dataclass(frozen=True)
class StackServices:
    """What a replicated stack runs on: the PostgreSQL server and its migrated template,
    Redis, moto's SQS server, and where the processes' directories go."""

    postgres_admin: PostgresAdmin
    template: str
    redis: RedisServer
    sqs: SqsServer
    workdirs: pytest.TempPathFactory

    @contextmanager
    def running(self, label: str, *, replicas: int) -> Iterator[tuple[SubscriptionStack, str]]:
        """``replicas`` API replicas and a worker, started, on a new database made from
        the template and queues of their own; the stack and its database's name. Stopped
        and dropped on leaving."""
        name = PostgresAdmin.random_name(label)
        self.postgres_admin.create_database(name, template=self.template)
        queue_url, dead_letter_url = run_coroutine(lambda: create_test_queues(self.sqs))
        stack = SubscriptionStack(
            workdir=self.workdirs.mktemp(f"{label}-stack"),
            database_url=self.postgres_admin.url(name),
            redis_url=self.redis.url,
            sqs=self.sqs,
            queue_url=queue_url,
            dead_letter_url=dead_letter_url,
        )
        try:
            stack.start_replicas(replicas)
            stack.start_worker()
            yield stack, name
        finally:
            stack.stop()
            self.postgres_admin.drop_database(name)
