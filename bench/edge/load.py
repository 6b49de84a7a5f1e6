"""wrk with a check of its own: every answer must be the one its case expects, a
refusal with its code or a normal answer without errors; anything else fails the run."""

import json
import subprocess
from pathlib import Path

from bench.edge.cases import Case
from bench.errors import BenchError
from bench.wrk import MARKER, LoadResult, ensure_wrk

SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

local threads = {{}}
local statuses = {{}}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    bad = 0
    status = 0
end

function response(status_code, headers, body)
    status = status_code
    local expected = string.find(body, [==[{expect}]==], 1, true)
    local errors = string.find(body, '"errors"', 1, true)
    if not expected or ({normal} and (status_code ~= 200 or errors)) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local rejected = 0
    local last = 0
    for _, thread in ipairs(threads) do
        rejected = rejected + thread:get("bad")
        last = thread:get("status")
    end
    local e = summary.errors
    io.write(string.format(
        '{marker}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
        .. '"socket_errors": %d, "bad": %d, "status": %d}}\\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.timeout, rejected, last))
end
"""


class CheckingWrk:
    def __init__(self, workdir: Path, token: str, *, connections: int, threads: int) -> None:
        self.program = ensure_wrk()
        self.workdir = workdir
        self.token = token
        self.connections = connections
        self.threads = threads

    def script(self, case: Case) -> Path:
        body = case.body.decode()
        if "]==]" in body:
            raise BenchError("request body cannot be quoted in Lua")
        path = self.workdir / f"edge-{case.name}.lua"
        normal = "false" if case.refused else "true"
        path.write_text(
            SCRIPT.format(
                body=body, token=self.token, expect=case.expect, normal=normal, marker=MARKER
            )
        )
        return path

    def run(self, url: str, script: Path, seconds: float) -> tuple[LoadResult, int]:
        """The figures, and the HTTP status of the answers."""
        command = [
            self.program,
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={script}",
            url,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
        if completed.returncode != 0 or not lines:
            raise BenchError(f"wrk failed:\n{completed.stdout}{completed.stderr}")
        figures = json.loads(lines[-1].removeprefix(MARKER))
        if figures["bad"] or figures["socket_errors"]:
            raise BenchError(f"{script.name}: unexpected answers during the load: {figures}")
        if figures["requests"] == 0:
            raise BenchError(f"{script.name}: no request completed")
        result = LoadResult(
            requests=figures["requests"],
            seconds=figures["duration_us"] / 1e6,
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
        )
        return result, int(figures["status"])
