"""Child processes of a run: free ports, log tails, HTTP servers started and stopped by us."""

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


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


class HttpServer:
    """A server process on 127.0.0.1:``port``, ready once ``GET /healthz`` answers 200."""

    def __init__(
        self, name: str, command: list[str], *, env: dict[str, str], port: int, workdir: Path
    ) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.port = port
        self.log_path = workdir / f"{name}.log"
        self.cwd = Path(__file__).resolve().parent.parent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise BenchError(f"{self.name} is not running")
        return self._process.pid

    def start(self) -> None:
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
        while not self._answers():
            if self._process.poll() is not None:
                raise BenchError(f"{self.name} exited:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} not ready:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

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

    def _answers(self) -> bool:
        try:
            url = f"{self.base_url}/healthz"
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our server
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
