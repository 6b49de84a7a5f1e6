"""Redis and SQS (moto) servers for the tests, each a child process on a fixed free port."""

import http.client
import os
import shutil
import socket
import sys
from pathlib import Path

from support.processes import ChildServer, ServiceError

DUMMY_AWS_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def real_clock_environment() -> dict[str, str]:
    """The tests' environment without libfaketime (`make test-clock` preloads it)."""
    return {k: v for k, v in os.environ.items() if k not in {"LD_PRELOAD", "FAKETIME"}}


class RedisServer(ChildServer):
    """redis-server with no persistence, logging to workdir/redis.log."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        executable = shutil.which("redis-server")
        if executable is None:
            raise ServiceError("redis-server not found: run scripts/ensure-system-packages.sh")
        persistence_off = ["--save", "", "--appendonly", "no"]
        where = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
        # In the foreground, as our child: stop() knows exactly when it is gone.
        return [executable, *where, *persistence_off, "--daemonize", "no"]

    def environment(self) -> dict[str, str]:
        # Redis's allocator cannot start under libfaketime (`make test-clock` preloads it):
        # Redis keeps the real clock. The app never reads it: events carry their own times.
        return real_clock_environment()

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class SqsServer(ChildServer):
    """moto's standalone server: the real SQS API over HTTP, state in memory.

    A restart loses every queue; `reset()` clears them without one.
    """

    name = "moto"
    region = "us-east-1"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for `aioboto3.Session().client("sqs", **...)`."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            **DUMMY_AWS_CREDENTIALS,
        }

    def command(self) -> list[str]:
        beside_python = Path(sys.executable).parent / "moto_server"
        executable = str(beside_python) if beside_python.exists() else shutil.which("moto_server")
        if executable is None:
            return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        return [executable, "-H", "127.0.0.1", "-p", str(self.port)]

    def environment(self) -> dict[str, str]:
        # SQS is a service with a clock of its own, and moto's long polls wait on a thread
        # condition whose monotonic deadline libfaketime moves but never reaches: under
        # `make test-clock` a 2 s wait would last until the next message. Its times are all
        # relative (visibility, delays, retention), so the real clock changes nothing else.
        return real_clock_environment()

    def ready(self) -> bool:
        try:
            self._request("GET", "/")
        except (OSError, http.client.HTTPException):
            return False
        return True

    def reset(self) -> None:
        self._request("POST", "/moto-api/reset")

    def _request(self, method: str, path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()
