"""Where the API's time goes under Q1: py-spy samples the running server from outside
(no change to the process, no switch in the code), and the samples are summed here.

py-spy (PyPI, a static binary) is installed into ``.tools/py-spy`` by uv, pinned, when
missing. ``record --format raw`` writes one line per distinct stack, ``frame;frame;...
count``, each frame ``function (file:line)``; idle samples (the event loop waiting) are
left out by py-spy, so the shares below are of the time the process was busy.
"""

import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError

PY_SPY_VERSION = "0.4.3"
ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools" / "py-spy"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
OMNIPRESENT = 0.8
# Where a thread other than the main one starts (py-spy names methods with their class).
THREAD_ROOTS = {("Thread._bootstrap", "threading.py"), ("_bootstrap", "threading.py")}
# The first folder of a frame's file names the layer it belongs to.
LAYERS = {
    "appointment_api": "appointment_api (app, middleware)",
    "resolvers": "resolvers (GraphQL types, loaders)",
    "application": "application (use cases)",
    "domain": "domain",
    "infra": "infra (SQL, adapters)",
    "strawberry": "strawberry",
    "graphql": "graphql-core",
    "sqlalchemy": "SQLAlchemy",
    "asyncpg": "asyncpg",
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "slowapi": "slowapi / limits",
    "limits": "slowapi / limits",
    "prometheus_client": "prometheus-client",
    "opentelemetry": "OpenTelemetry",
    "pydantic": "pydantic",
    "orjson": "orjson",
    "jwt": "pyjwt",
    "asyncio": "asyncio (event loop)",
    "logging": "logging",
}


def ensure_py_spy() -> Path:
    """The py-spy binary; installed by the project's uv into ``.tools/py-spy`` if missing."""
    binary = TOOLS / "bin" / "py-spy"
    if binary.exists():
        return binary
    uv = ROOT / ".tools" / "bin" / "uv"
    installer = str(uv) if uv.exists() else shutil.which("uv")
    if installer is None:
        raise BenchError("uv not found: run `make install` first")
    print(f"installing py-spy {PY_SPY_VERSION} into .tools/py-spy", flush=True)
    completed = subprocess.run(
        [
            installer,
            "pip",
            "install",
            "--quiet",
            "--target",
            str(TOOLS),
            f"py-spy=={PY_SPY_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
        # The caller's environment: it may name the certificates or the index to use.
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    if completed.returncode != 0 or not binary.exists():
        raise BenchError(f"py-spy could not be installed:\n{completed.stdout}{completed.stderr}")
    return binary


def start_recording(pid: int, seconds: float, output: Path) -> subprocess.Popen[str]:
    """py-spy sampling ``pid`` for ``seconds`` at 200 Hz, without pausing it."""
    command = [
        str(ensure_py_spy()),
        "record",
        f"--pid={pid}",
        f"--duration={max(1, round(seconds))}",
        "--rate=200",
        "--format=raw",
        f"--output={output}",
        "--nonblocking",
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@dataclass(frozen=True)
class Share:
    name: str
    samples: int
    fraction: float


@dataclass(frozen=True)
class Profile:
    # Busy samples of the thread that serves the requests (the event loop's).
    samples: int
    # Busy samples of the process's other threads (helpers, pools): counted apart.
    other_threads: int
    layers: list[Share]
    self_time: list[Share]
    inclusive: list[Share]


def frame_parts(frame: str) -> tuple[str, str]:
    """(function, file) of one py-spy frame; the file without its line number."""
    found = FRAME.match(frame)
    if found is None:
        return frame, ""
    return found["function"], found["file"]


def layer_of(file: str) -> str:
    first = file.split("/", 1)[0]
    if first in LAYERS:
        return LAYERS[first]
    return "other (stdlib, C)" if file else "other"


def summarize(raw: str, top: int = 12) -> Profile:
    """Shares of the event loop thread's busy samples (stacks rooted in another thread's
    ``Thread._bootstrap`` are counted apart): by layer (of the innermost frame), by function spending
    them itself, and by function on the stack (inclusive, each counted once per stack)."""
    by_layer: Counter[str] = Counter()
    by_self: Counter[str] = Counter()
    by_inclusive: Counter[str] = Counter()
    total = other_threads = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frame_parts(frames[0]) in THREAD_ROOTS:
            other_threads += count
            continue
        total += count
        function, file = frame_parts(frames[-1])
        by_layer[layer_of(file)] += count
        by_self[f"{function} ({file})"] += count
        named = {f"{f} ({p})" for f, p in (frame_parts(frame) for frame in frames) if p}
        for name in named:
            by_inclusive[name] += count

    def shares(counter: Counter[str], limit: int) -> list[Share]:
        return (
            [Share(name, n, n / total) for name, n in counter.most_common(limit)] if total else []
        )

    # Frames on (nearly) every stack, the server's own loop, say nothing: left out.
    for name, n in list(by_inclusive.items()):
        if n >= OMNIPRESENT * total:
            del by_inclusive[name]
    return Profile(
        samples=total,
        other_threads=other_threads,
        layers=shares(by_layer, len(by_layer)),
        self_time=shares(by_self, top),
        inclusive=shares(by_inclusive, top),
    )
