"""The load generator: wrk, in its own process, POSTing one body over keep-alive connections.

A Lua script sets the request, counts answers that are not a 200 without
GraphQL errors, and prints the figures as one JSON line.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError

MARKER = "BENCH-RESULT "
TIMEOUT_SECONDS = 60

SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

local threads = {{}}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    bad = 0
end

function response(status, headers, body)
    if status ~= 200 or string.find(body, '"errors"', 1, true) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local rejected = 0
    for _, thread in ipairs(threads) do
        rejected = rejected + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format(
        '{marker}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
        .. '"socket_errors": %d, "bad": %d}}\\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.timeout, rejected))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def ensure_wrk() -> str:
    """wrk's path; installs Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    as_root = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("wrk is missing: installing Debian's package", flush=True)
    for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
        subprocess.run([*as_root, *step], env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk could not be installed")
    return found


class Wrk:
    def __init__(self, workdir: Path, token: str, *, connections: int, threads: int) -> None:
        self.program = ensure_wrk()
        self.workdir = workdir
        self.token = token
        self.connections = connections
        self.threads = threads

    def script(self, name: str, body: bytes, token: str | None = None) -> Path:
        """The Lua script POSTing ``body`` with ``token`` (default: the one given at start)."""
        text = body.decode()
        if "]==]" in text:
            raise BenchError("request body cannot be quoted in Lua")
        path = self.workdir / f"{name}.lua"
        path.write_text(SCRIPT.format(body=text, token=token or self.token, marker=MARKER))
        return path

    def run(
        self, url: str, script: Path, seconds: float, *, allow_none: bool = False
    ) -> LoadResult:
        """wrk's figures; raises on a failed request, or when none completed unless
        ``allow_none`` (a warm-up, or a slow server's first try: the caller decides)."""
        command = [
            self.program,
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={max(1, round(seconds))}s",
            # R3 (a week of free slots for 20 psychologists) takes about a second of CPU
            # per answer, so 16 waiting connections mean answers 16 s or more after they
            # were asked: a shorter timeout would count them as failures.
            f"--timeout={TIMEOUT_SECONDS}s",
            f"--script={script}",
            url,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
        if completed.returncode != 0 or not lines:
            raise BenchError(f"wrk failed:\n{completed.stdout}{completed.stderr}")
        figures = json.loads(lines[-1].removeprefix(MARKER))
        if figures["bad"] or figures["socket_errors"]:
            raise BenchError(f"{url}: failed requests during the load: {figures}")
        if figures["requests"] == 0 and not allow_none:
            raise BenchError(f"{url}: no request completed")
        return LoadResult(
            requests=figures["requests"],
            seconds=figures["duration_us"] / 1e6,
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
        )
