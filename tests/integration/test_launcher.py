"""The stack launcher stops what it started: whole process groups, and everything after a
failed start."""

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.launcher import AppProcess, Deployment, Servers, Stack, StackOptions
from support.postgres import PostgresCluster
from support.processes import ServiceError, wait_until

# A child that ignores SIGTERM and leaves a grandchild (which ignores it too) in its group.
STUBBORN = (
    "import os, signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen([sys.executable, '-c', "
    "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(600)\n"
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes: it runs nothing and holds no port.
    status = Path(f"/proc/{pid}/stat").read_text()
    return status[status.rindex(")") + 2] != "Z"


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_a_process_that_ignores_sigterm_is_killed_with_its_whole_group(tmp_path: Path) -> None:
    process = AppProcess(
        "stubborn", [], {}, tmp_path, grace=1.0, command=[sys.executable, "-c", STUBBORN]
    )
    wait_until(lambda: process.output().strip() != "", what="the grandchild's pid", timeout=30)
    grandchild = int(process.output().split()[0])
    assert alive(grandchild)
    deployment = Deployment(tmp_path, {})
    deployment.workers.append(process)

    problems = deployment.stop()

    assert problems == ["stubborn ignored SIGTERM for 1 s: killed"]
    assert not process.alive
    wait_until(lambda: not alive(grandchild), what="the grandchild to be gone", timeout=10)


def test_servers_that_started_are_stopped_when_another_fails(tmp_path: Path) -> None:
    # A port nobody may bind: PostgreSQL fails to start, after Redis and moto did.
    servers = Servers(tmp_path, postgres=PostgresCluster(port=1, parent=tmp_path))
    with pytest.raises(ServiceError):
        servers.start()
    assert servers.redis is not None
    assert servers.sqs is not None
    assert not servers.redis.running
    assert not servers.sqs.running
    assert not answers(servers.redis.port)
    assert not answers(servers.sqs.port)


@pytest.fixture
def stack_folder() -> Iterator[Path]:
    """A folder the cluster's `postgres` user can reach when the tests run as root."""
    folder = Path(tempfile.mkdtemp(prefix="launcher-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_stack_whose_processes_cannot_start_leaves_nothing_running(stack_folder: Path) -> None:
    # A setting every app process refuses: the servers are up when the processes fail.
    options = StackOptions(apis=1, workers=1, settings={"WORKER_CONCURRENCY": "not a number"})
    stack = Stack(stack_folder, options)
    entered = False
    with pytest.raises(ServiceError, match="exited") as failure, stack.running():
        entered = True
    assert not entered
    assert "WORKER_CONCURRENCY" in str(failure.value) or "worker_concurrency" in str(failure.value)
    assert stack.servers.redis is not None
    assert stack.servers.sqs is not None
    servers = [stack.postgres.port, stack.servers.redis.port, stack.servers.sqs.port]
    assert not [port for port in servers if answers(port)]
    assert not stack.deployment.processes
