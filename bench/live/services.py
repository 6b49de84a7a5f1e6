"""What both the live and the edge suites stand on, from the stack launcher: a seeded
PostgreSQL cluster, a Redis server, and the API started with extra settings."""

import asyncio
import resource
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import dataset
from bench.servers import APP_COMMAND, api_env
from domain.viewer import Role
from infra.auth import issue_token
from support.launcher import Api, Deployment
from support.postgres import PostgresCluster
from support.processes import free_port
from support.services import RedisServer

__all__ = ["RedisServer", "raise_open_files_limit", "say", "seeded_database", "start_api", "token"]


def raise_open_files_limit() -> int:
    """Lifts the soft limit on open files to the hard one, for this process and the
    children started after it (the API under test and the subscribers)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def seeded_database(stack: ExitStack) -> tuple[PostgresCluster, str]:
    """A throwaway cluster (initdb's durability defaults) with the migrations and the demo
    world; its libpq URL."""
    cluster = PostgresCluster(durable=True)
    stack.callback(cluster.stop)
    cluster.start()
    say(f"PostgreSQL on port {cluster.port}; migrating and seeding the demo world")
    asyncio.run(dataset.recreate_database(cluster.admin_url))
    url = cluster.url(dataset.DATABASE)
    env = api_env(dataset.app_url(url), "seeding")
    dataset.migrate(url, env)
    Deployment(cluster.root, env).run("seed", "seed")
    return cluster, url


def say(text: str) -> None:
    print(text, flush=True)


def start_api(
    stack: ExitStack, url: str, jwt_secret: str, workdir: Path, name: str, **settings: str
) -> Api:
    """``appointment-api serve`` on the seeded database, with ``settings`` on top of the
    bench's defaults (rate limits off); running, and stopped when ``stack`` closes."""
    env = {**api_env(dataset.app_url(url), jwt_secret), **settings}
    deployment = Deployment(workdir, env)
    stack.callback(deployment.stop)
    port = free_port()
    return deployment.start_server(
        name,
        [APP_COMMAND, "serve"],
        {**env, "HOST": "127.0.0.1", "PORT": str(port)},
        port,
        "/healthz",
    )


def token(jwt_secret: str, url: str, role: str, subject: str) -> str:
    """A token as ``appointment-api token`` signs it (``url``: the database it is for)."""
    return issue_token(
        secret=jwt_secret,
        subject=subject,
        role=Role(role.upper()),
        ttl=timedelta(hours=24),
        now=datetime.now(UTC),
    )
