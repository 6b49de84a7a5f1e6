"""What both the live and the edge suites stand on: a seeded PostgreSQL cluster, a Redis
server, and the API started with extra settings."""

import asyncio
import resource
import shutil
import socket
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import dataset
from bench.postgres import Cluster
from bench.processes import BenchError, ChildProcess, HttpServer, free_port
from bench.servers import APP_COMMAND, api_env, api_server, new_jwt_secret


def raise_open_files_limit() -> int:
    """Lifts the soft limit on open files to the hard one, for this process and the
    children started after it (the API under test and the subscribers)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def seeded_database(stack: ExitStack) -> tuple[Cluster, str]:
    """A throwaway cluster with the migrations and the demo world; its libpq URL."""
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="bench-postgres-")), keep=False)
    stack.callback(cluster.stop)
    cluster.start()
    say(f"PostgreSQL on port {cluster.port}; migrating and seeding the demo world")
    asyncio.run(dataset.recreate_database(cluster.admin_url))
    url = cluster.url(dataset.DATABASE)
    env = api_env(dataset.app_url(url), new_jwt_secret())
    dataset.migrate(url, env)
    completed = subprocess.run(
        [APP_COMMAND, "seed"], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"seed failed:\n{completed.stdout}{completed.stderr}")
    return cluster, url


def say(text: str) -> None:
    print(text, flush=True)


class RedisServer(ChildProcess):
    """redis-server without persistence on a free port, in the foreground as our child."""

    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise BenchError("redis-server not found: run scripts/ensure-system-packages.sh")
        self.port = free_port()
        command = [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(workdir), "--save", "", "--appendonly", "no"]
        super().__init__("redis", command, env={}, workdir=workdir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False


def start_api(
    stack: ExitStack, url: str, jwt_secret: str, workdir: Path, name: str, **settings: str
) -> HttpServer:
    """``appointment-api serve`` on the seeded database, with ``settings`` on top of the
    bench's defaults (rate limits off)."""
    env = {**api_env(dataset.app_url(url), jwt_secret), **settings}
    server = api_server(env, workdir)
    server.name = name
    server.log_path = workdir / f"{name}.log"
    stack.callback(server.stop)
    server.start()
    return server


def token(jwt_secret: str, url: str, role: str, subject: str) -> str:
    env = api_env(dataset.app_url(url), jwt_secret)
    command = [APP_COMMAND, "token", "--role", role, "--sub", subject, "--ttl", "86400"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return completed.stdout.strip()
