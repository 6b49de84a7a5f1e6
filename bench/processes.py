"""Child processes of a run: free ports, log tails, servers and workers started and stopped by us."""

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 20.0


class BenchError(RuntimeError):
    """The run cannot go on; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class ChildProcess:
    """A long-running child, logging to ``workdir/name.log``, ready once ``ready()`` says so.

    Stopped with SIGTERM (graceful shutdown is part of what the programs promise),
    killed only when that takes longer than ``STOP_TIMEOUT_SECONDS``.
    """

    def __init__(
        self, name: str, command: list[str], *, env: dict[str, str], workdir: Path
    ) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.cwd = Path(__file__).resolve().parent.parent
        self._process: subprocess.Popen[bytes] | None = None
        # Where this start's lines begin in a log that earlier starts may have written.
        self.log_offset = 0

    @property
    def pid(self) -> int:
        if self._process is None:
            raise BenchError(f"{self.name} is not running")
        return self._process.pid

    def start(self) -> None:
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self.ready():
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} not ready:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

    def ready(self) -> bool:
        return True

    def check_alive(self) -> None:
        """Raises when the process has exited on its own."""
        if self._process is not None and self._process.poll() is not None:
            raise BenchError(
                f"{self.name} exited ({self._process.returncode}):\n{log_tail(self.log_path)}"
            )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LoggingProcess(ChildProcess):
    """Ready once its log holds ``marker`` (for programs that serve no HTTP)."""

    def __init__(
        self, name: str, command: list[str], *, env: dict[str, str], workdir: Path, marker: str
    ) -> None:
        super().__init__(name, command, env=env, workdir=workdir)
        self.marker = marker

    def ready(self) -> bool:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self.log_offset)
                return self.marker.encode() in log.read()
        except OSError:
            return False


class HttpServer(ChildProcess):
    """A server on 127.0.0.1:``port``, ready once ``GET ready_path`` answers 200."""

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str],
        port: int,
        workdir: Path,
        ready_path: str = "/healthz",
    ) -> None:
        super().__init__(name, command, env=env, workdir=workdir)
        self.port = port
        self.ready_path = ready_path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        try:
            url = f"{self.base_url}{self.ready_path}"
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our server
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def work_folder(stack: ExitStack, prefix: str) -> Path:
    """A temporary folder for logs and scripts: removed when ``stack`` closes after a
    successful run, kept (and named on stderr) after a failure, for its logs."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))

    def close(kind: type[BaseException] | None, *_: object) -> bool:
        if kind is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"bench: the logs are kept in {folder}", file=sys.stderr)
        return False

    stack.push(close)
    return folder
