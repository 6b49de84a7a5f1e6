"""scripts/stack.py: compose.yaml's stack without Docker, run as a developer runs it.

The script is a subprocess with a deadline; what it prints is checked, and after it has
exited its folder is gone and nothing answers on the ports it used.
"""

import importlib.util
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "stack.py"
# Two cores shared with other test runs: the stack's Python processes start slowly.
SMOKE_DEADLINE_SECONDS = 600.0
UP_DEADLINE_SECONDS = 300.0
STOP_DEADLINE_SECONDS = 120.0
UP_LINE = "Ctrl-C (or SIGTERM) stops everything."


@pytest.fixture(scope="module")
def script() -> ModuleType:
    # Under a name of its own: tests/e2e/stack.py is already `stack`.
    spec = importlib.util.spec_from_file_location("stack_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "compose.yaml").read_text())[
        "services"
    ]
    return found


# --- the same stack as compose.yaml -------------------------------------------------------------


def test_the_script_runs_the_commands_compose_runs(
    script: ModuleType, services: dict[str, dict[str, Any]]
) -> None:
    assert services["migrate"]["command"] == script.MIGRATE
    assert services["queues"]["command"] == script.CREATE_QUEUES
    assert services["api"]["command"] == script.SERVE
    assert services["worker"]["command"] == script.WORK
    assert services["api"]["deploy"]["replicas"] == script.API_REPLICAS
    assert services["worker"]["deploy"]["replicas"] == script.WORKERS
    assert services["worker"]["stop_grace_period"] == f"{script.WORKER_GRACE_SECONDS:.0f}s"


def test_the_script_sets_the_variables_compose_sets(
    script: ModuleType, services: dict[str, dict[str, Any]]
) -> None:
    ours = script.app_environment(
        database_url="postgresql+asyncpg://appointments:pw@127.0.0.1:1/appointments",
        redis_url="redis://127.0.0.1:2/0",
        sqs_endpoint="http://127.0.0.1:3",
        jwt_secret="x" * 64,
        app_env="production",
    )
    compose = services["worker"]["environment"]
    assert set(compose) == set(ours) | set(script.worker_environment(9100))
    assert set(services["api"]["environment"]) == set(ours) | set(
        script.api_environment(8000, 9100)
    )
    for name in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert ours[name] == compose[name], name
    for name in ("SQS_QUEUE_URL", "SQS_DLQ_URL"):
        # The same account and queue names, on another host and port.
        assert ours[name].removeprefix("http://127.0.0.1:3") == compose[name].removeprefix(
            "http://sqs:5000"
        ), name
    assert compose["APP_ENV"] == "${APP_ENV:-production}"
    assert compose["DATABASE_URL"].endswith(f"@postgres:5432/{script.DATABASE}")
    assert compose["DATABASE_URL"].startswith(f"postgresql+asyncpg://{script.DATABASE_USER}:")


def test_without_app_env_the_script_runs_production_as_compose_does(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")  # a developer's own setting stays out
    stack = script.stack_for(tmp_path)
    env = stack.env()
    assert env["APP_ENV"] == "production"
    assert len(env["JWT_SECRET"]) >= 64
    assert "DATABASE_POOL_SIZE" not in env
    assert "GRAPHIQL_ENABLED" not in env


def test_redis_keeps_nothing_on_disk_as_in_compose(
    script: ModuleType, services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    persistence_off = ["--save", "", "--appendonly", "no"]
    assert services["redis"]["command"] == ["redis-server", *persistence_off]
    command = script.RedisServer(tmp_path).command()
    assert any(command[i : i + 4] == persistence_off for i in range(len(command)))


# --- the smoke --------------------------------------------------------------------------------------


def test_the_smoke_books_through_the_stack_and_stops_everything() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "smoke"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SMOKE_DEADLINE_SECONDS,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    steps = [
        "1. availableSlots (replica 1): ",
        "2. appointmentEvents(after:) open on replica 2 ",
        "3. requestAppointment (replica 1): ",
        "   appointmentEvents: PENDING (version 1)",
        "   appointmentEvents: CONFIRMED (version 2)",
        "   appointmentStatus: CONFIRMED (version 2)",
        "6. appointments (replica 1): ",
        "smoke passed in ",
    ]
    for step in steps:
        assert step in output, f"{step!r} missing from:\n{output}"
    [appointment_id] = set(re.findall(r"requestAppointment \(replica 1\): (\S+) PENDING", output))
    assert f"appointments (replica 1): {appointment_id} CONFIRMED" in output
    assert "not a clean stop" not in output
    assert not folder(output).exists(), output


# --- `make stack`: in the foreground until SIGTERM ---------------------------------------------


class Lines:
    """The running script's output, line by line, read on a thread of its own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, wanted: str, *, within: float) -> str:
        """Everything printed up to and including the first line that is `wanted`."""
        deadline = time.monotonic() + within
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no {wanted!r} within {within:.0f} s:\n" + "\n".join(self.seen)
                ) from None
            if line is None:
                raise AssertionError(f"exited before {wanted!r}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if line == wanted:
                return "\n".join(self.seen)

    def rest(self) -> str:
        self._thread.join(timeout=STOP_DEADLINE_SECONDS)
        while (line := self._queue.get_nowait()) is not None:
            self.seen.append(line)
        return "\n".join(self.seen)


@pytest.fixture
def running_stack() -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "run", "--graphiql"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process, Lines(process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_stack_serves_until_sigterm_then_stops_every_process(
    running_stack: tuple[subprocess.Popen[str], Lines],
) -> None:
    process, lines = running_stack
    printed = lines.until(UP_LINE, within=UP_DEADLINE_SECONDS)
    apis = re.findall(r"API replica \d\s+(http://127\.0\.0\.1:\d+)/graphql", printed)
    assert len(apis) == 2, printed
    [admin_token] = re.findall(r"^\s+admin\s+admin-1\s+(\S+)$", printed, flags=re.MULTILINE)
    [patient_token] = re.findall(r"^\s+patient\s+patient-1\s+(\S+)$", printed, flags=re.MULTILINE)
    ports = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", printed)}
    assert len(ports) == 5, printed  # PostgreSQL, Redis, SQS, two replicas
    logs = [Path(path) for path in re.findall(r"^\s+\S+\s+(/\S+\.log)$", printed, re.MULTILINE)]
    # Three servers, two replicas, two workers; migrate, seed and queues create.
    assert len(logs) == 10, printed
    assert all(log.exists() for log in logs), printed

    for api in apis:
        ready = httpx.get(f"{api}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "sqs": "ok"}
    graphiql = httpx.get(f"{apis[0]}/graphql", headers={"Accept": "text/html"}, timeout=30)
    assert graphiql.status_code == 200
    assert graphiql.headers["content-type"].startswith("text/html")
    for token, role in ((admin_token, "ADMIN"), (patient_token, "PATIENT")):
        answer = httpx.post(
            f"{apis[1]}/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = answer.json()
        assert "errors" not in body, body
        assert body["data"] == {"viewer": {"role": role}}

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_DEADLINE_SECONDS) == 0
    output = lines.rest()
    assert "SIGTERM: stopping everything" in output
    assert "stack stopped after" in output
    assert "not a clean stop" not in output, output
    assert not folder(output).exists(), output
    assert [port for port in sorted(ports) if answers_on(port)] == [], output


def folder(output: str) -> Path:
    [found] = re.findall(r"^stack folder: (\S+)$", output, flags=re.MULTILINE)
    return Path(found)


def answers_on(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
