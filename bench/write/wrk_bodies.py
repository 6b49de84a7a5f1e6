"""wrk POSTing a different body on every request, read from a file with one body a line.

Line ``n`` goes to thread ``n % threads``; each thread sends its lines in order and
stops when it has none left (the run then reports them exhausted). An answer that
is not a 200, or that holds GraphQL errors or any user error (a ``"code"`` key),
counts as bad; the first one is kept to say what went wrong.
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.wrk import LoadResult, ensure_wrk

MARKER = "BENCH-RESULT "
SAMPLE_MARKER = "BENCH-SAMPLE "

SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

local threads = {{}}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    bad = 0
    exhausted = 0
    sample = ""
    bodies = {{}}
    local n = 0
    for line in io.lines("{bodies}") do
        if n % {threads} == id then
            table.insert(bodies, line)
        end
        n = n + 1
    end
    following = 1
end

function request()
    local body = bodies[following]
    if body == nil then
        exhausted = 1
        wrk.thread:stop()
        body = bodies[1]
    end
    following = following + 1
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    if status ~= 200 or string.find(body, '"errors"', 1, true)
            or string.find(body, '"code"', 1, true) then
        bad = bad + 1
        if sample == "" then
            sample = string.sub(body, 1, 600)
        end
    end
end

function done(summary, latency, requests)
    local rejected, ran_out, first = 0, 0, ""
    for _, thread in ipairs(threads) do
        rejected = rejected + thread:get("bad")
        ran_out = ran_out + thread:get("exhausted")
        if first == "" then
            first = thread:get("sample")
        end
    end
    local e = summary.errors
    io.write(string.format(
        '{marker}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
        .. '"socket_errors": %d, "bad": %d, "exhausted": %d}}\\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.timeout, rejected, ran_out))
    io.write("{sample_marker}" .. string.gsub(first, "\\n", " ") .. "\\n")
end
"""


@dataclass(frozen=True)
class WrkRun:
    load: LoadResult
    bad: int
    sample: str


class BodiesWrk:
    def __init__(self, workdir: Path, token: str, *, threads: int) -> None:
        self.program = ensure_wrk()
        self.workdir = workdir
        self.token = token
        self.threads = threads

    def run(
        self,
        name: str,
        url: str,
        bodies: list[bytes],
        seconds: float,
        connections: int,
        *,
        warmup: bool = False,
    ) -> WrkRun:
        """Load ``url`` for ``seconds``; raises if the connections failed, and unless it
        is a ``warmup`` (which may send fewer), if the bodies ran out or none completed."""
        bodies_path = self.workdir / f"{name}.bodies"
        bodies_path.write_bytes(b"\n".join(bodies) + b"\n")
        script = self.workdir / f"{name}.lua"
        script.write_text(
            SCRIPT.format(
                token=self.token,
                bodies=bodies_path,
                threads=self.threads,
                marker=MARKER,
                sample_marker=SAMPLE_MARKER,
            )
        )
        command = [
            self.program,
            f"--threads={self.threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=30s",
            f"--script={script}",
            url,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        bodies_path.unlink()
        lines = completed.stdout.splitlines()
        results = [line for line in lines if line.startswith(MARKER)]
        samples = [line for line in lines if line.startswith(SAMPLE_MARKER)]
        if completed.returncode != 0 or not results:
            raise BenchError(f"wrk failed:\n{completed.stdout}{completed.stderr}")
        figures = json.loads(results[-1].removeprefix(MARKER))
        sample = samples[-1].removeprefix(SAMPLE_MARKER) if samples else ""
        if figures["exhausted"] and not warmup:
            raise BenchError(
                f"{name}: the {len(bodies)} prepared requests ran out before {seconds:g} s"
            )
        if figures["socket_errors"]:
            raise BenchError(f"{name}: socket errors during the load: {figures}")
        if figures["requests"] == 0 and not warmup:
            raise BenchError(f"{name}: no request completed in {seconds:g} s")
        load = LoadResult(
            requests=figures["requests"],
            seconds=max(figures["duration_us"] / 1e6, 1e-6),
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
        )
        return WrkRun(load=load, bad=figures["bad"], sample=sample)
