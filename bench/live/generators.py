"""The subscriber processes (``bench.live.subscribers``) of the spread and replica parts:
started, waited for, read."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.live.pacing import instant
from support.processes import log_tail


@dataclass
class Generator:
    process: subprocess.Popen[str]
    log: Path

    def line(self, prefix: str) -> str:
        assert self.process.stdout is not None
        text = self.process.stdout.readline()
        if not text.startswith(prefix):
            self.process.wait()
            raise BenchError(
                f"subscriber process ended ({self.process.returncode}):\n{log_tail(self.log)}"
            )
        return text.removeprefix(prefix).strip()

    def result(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.line("RESULT "))
        self.process.wait(timeout=60)
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_generator(
    ws_url: str, token: str, appointments: list[str], count: int, workdir: Path, name: str
) -> Generator:
    """``count`` websockets to ``ws_url``, subscriber i following ``appointments[i % n]``."""
    follows = workdir / f"{name}.ids"
    follows.write_text("\n".join(appointments) + "\n")
    log = workdir / f"{name}.log"
    command = [sys.executable, "-m", "bench.live.subscribers", "--url", ws_url]
    command += ["--token", token, "--appointments-file", str(follows), "--count", str(count)]
    with log.open("w") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    return Generator(process, log)


def receipts(result: dict[str, Any]) -> list[tuple[float, float]]:
    """(occurredAt, received) of each subscriber of one RESULT, both epoch seconds."""
    return [
        (instant(at), received)
        for at, received in zip(result["occurred_at"], result["received"], strict=True)
    ]
