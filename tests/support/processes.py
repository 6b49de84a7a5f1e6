"""Running servers: free ports, readiness polling with a deadline, child processes.

Everything here is blocking, so pytest fixtures can use it whether or not an
event loop is running. Every child runs in a process group of its own: a Ctrl-C at the
terminal reaches only the parent, which stops the children in order, and a child that
ignores SIGTERM is killed with everything it started.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.05


class ServiceError(RuntimeError):
    """A service could not be started, or stopped; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    still_alive: Callable[[], None] = lambda: None,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Poll `ready` until it is true; `still_alive` raises to give up early."""
    deadline = time.monotonic() + timeout
    while not ready():
        still_alive()
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def in_thread(work: Callable[[], T]) -> T:
    """Run blocking work that may start its own event loop (asyncio.run) off this thread.

    pytest-asyncio's loop may be running, or merely installed, on the calling
    thread; a fresh thread keeps both untouched.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return in_thread(lambda: asyncio.run(factory()))


def kill_group(process: "subprocess.Popen[bytes]") -> None:
    """SIGKILL to the process group a child leads (start_new_session), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class ChildServer:
    """A server run as our child process on a fixed port: start, stop, start again.

    The port is kept across restarts, so clients configured with the URL
    reconnect to the new process.
    """

    name = "server"

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        """The server's environment; None: the tests' own."""
        return None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServiceError(f"{self.name} is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (if it is not running) and wait until it answers."""
        if self.running:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until(self.ready, what=f"{self.name} on port {self.port}", still_alive=self._alive)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (if it runs) and wait until the process is gone."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            kill_group(process)

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Stopped inside the block, running again after it, whatever happens in it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def _alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            code = self._process.returncode
            raise ServiceError(f"{self.name} exited ({code}):\n{log_tail(self.log_path)}")
