"""The production command line against PostgreSQL: migrate, seed, serve, query over HTTP."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.processes import ServiceError, free_port, wait_until

CLI = Path(sys.executable).parent / "appointment-api"
SECRET = "e2e-served-secret-0123456789abcdef0123"


@dataclass(frozen=True)
class Served:
    base_url: str
    env: dict[str, str]

    def token(self, role: str, subject: str) -> str:
        result = subprocess.run(
            [str(CLI), "token", "--role", role, "--sub", subject],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def post(self, query: str, token: str | None, **variables: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=10,
        )


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"appointment-api {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "APP_ENV": "development",
        # SIGABRT then prints every thread's stack: where a server that never answers is.
        "PYTHONFAULTHANDLER": "1",
    }
    _run(env, "migrate")
    assert "demo data created" in _run(env, "seed")
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([str(CLI), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return process.poll() is not None

    try:
        # A busy machine may take that long to start a Python process with the app's imports.
        wait_until(ready, timeout=60, what="the API to answer /healthz")
    except ServiceError:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=15)
        log.close()
        pytest.fail(f"serve never answered:\n{(tmp_path / 'server.log').read_text()}")
    try:
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        yield Served(base_url, env)
    finally:
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)
        log.close()
        assert "Application shutdown complete" in (tmp_path / "server.log").read_text()


def test_the_served_api_answers_queries_from_postgresql(served: Served) -> None:
    token = served.token("patient", "patient-1")
    response = served.post(
        "{ viewer { subject } appointments(first: 3) { totalCount "
        "nodes { status patient { email } psychologist { name timeZone } } } }",
        token,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["viewer"] == {"subject": "patient-1"}
    nodes = body["data"]["appointments"]["nodes"]
    assert nodes
    assert {n["patient"]["email"] for n in nodes} == {"patient1@mail.example"}


def test_seeding_twice_adds_nothing(served: Served) -> None:
    assert "nothing seeded" in _run(served.env, "seed")


def test_readiness_names_the_database(served: Served) -> None:
    response = httpx.get(f"{served.base_url}/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_without_a_token_the_served_api_refuses_with_unauthenticated(served: Served) -> None:
    body = served.post("{ viewer { subject } }", None).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None
