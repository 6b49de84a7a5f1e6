"""A constant-rate (open-loop) load generator: request i leaves at start + i / rate,
whatever the earlier answers did, and its latency counts from that planned instant.

wrk is closed-loop: a slow answer delays the next request on its connection, so the
queueing it causes is never measured (coordinated omission). wrk2, which corrects that,
is not packaged by Debian; this is the same idea in asyncio: requests go out on idle
keep-alive connections, a new connection opens when none is idle (up to
``--connections``), and a request that has to wait for one still counts its latency
from its planned instant. Runs in its own process so that its CPU shows apart:

    python -m bench.open_loop --url URL --body FILE --token T --rate R --seconds S

It prints one JSON line: requests planned and completed, p50/p99/max in microseconds,
how late the sender was at worst, and the failures (a status other than 200, or an
answer with GraphQL errors).
"""

import argparse
import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MARKER = "OPEN-LOOP-RESULT "


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def request_bytes(url: str, body: bytes, token: str) -> bytes:
    parts = urlsplit(url)
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads its answer (Content-Length or
    chunked), then takes the next waiting request or goes back to the idle ones."""

    def __init__(self, loop: "OpenLoop") -> None:
        self.owner = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.planned = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = transport  # type: ignore[assignment]

    def send(self, planned: float) -> None:
        if self.transport is None:
            raise RuntimeError("send before the connection is made")
        self.planned = planned
        self.transport.write(self.owner.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answer = complete_answer(self.buffer)
        if answer is None:
            return
        status, body, used = answer
        del self.buffer[:used]
        self.owner.answered(self, status, body, self.planned)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self)


def complete_answer(buffer: bytearray) -> tuple[int, bytes, int] | None:
    """(status, body, bytes used) when ``buffer`` holds a whole HTTP/1.1 answer."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    headers = bytes(buffer[:end])
    status = int(headers.split(b" ", 2)[1])
    start = end + 4
    length = None
    chunked = False
    for line in headers.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        length = length or 0
        if len(buffer) < start + length:
            return None
        return status, bytes(buffer[start : start + length]), start + length
    body = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        at = line_end + 2
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at : at + size]
        at += size + 2
        if size == 0:
            return status, bytes(body), at


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    worst_lag: float = 0.0


class OpenLoop:
    def __init__(self, url: str, request: bytes, connections: int) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.request = request
        self.limit = connections
        self.idle: list[Connection] = []
        self.open = 0
        # Planned instants of the requests waiting for a connection, oldest first.
        self.waiting: deque[float] = deque()
        self.tally = Tally()
        self.outstanding = 0
        self.finished = asyncio.Event()

    def answered(self, connection: Connection, status: int, body: bytes, planned: float) -> None:
        self.tally.latencies.append(time.perf_counter() - planned)
        if status != 200 or b'"errors"' in body:
            self.tally.failures += 1
        self.outstanding -= 1
        if self.waiting:
            connection.send(self.waiting.popleft())
        else:
            self.idle.append(connection)
        if self.outstanding == 0:
            self.finished.set()

    def lost(self, connection: Connection) -> None:
        self.open -= 1
        if connection in self.idle:
            self.idle.remove(connection)

    async def connect(self, planned: float) -> None:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: Connection(self), self.host, self.port)
        connection.send(planned)

    def dispatch(self, planned: float) -> None:
        self.outstanding += 1
        self.finished.clear()
        if self.idle:
            self.idle.pop().send(planned)
        elif self.open < self.limit:
            self.open += 1
            asyncio.get_running_loop().create_task(self.connect(planned))
        else:
            self.waiting.append(planned)

    async def run(self, rate: float, seconds: float) -> int:
        planned = int(rate * seconds)
        start = time.perf_counter() + 0.05
        i = 0
        while i < planned:
            now = time.perf_counter()
            # Everything due by now leaves now: the loop may wake late, the plan stays.
            while i < planned and start + i / rate <= now:
                due = start + i / rate
                self.tally.worst_lag = max(self.tally.worst_lag, now - due)
                self.dispatch(due)
                i += 1
            if i < planned:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        if self.outstanding:
            await self.finished.wait()
        for connection in self.idle:
            if connection.transport is not None:
                connection.transport.close()
        return planned


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.open_loop", description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--body", type=Path, required=True, help="file holding the POST body")
    p.add_argument("--token", default="")
    p.add_argument("--rate", type=float, required=True, help="requests per second")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--connections", type=int, default=256, help="at most this many open")
    args = p.parse_args()
    try:
        import uvloop  # optional: a faster event loop when installed

        uvloop.install()
    except ImportError:
        pass
    loop = OpenLoop(
        args.url, request_bytes(args.url, args.body.read_bytes(), args.token), args.connections
    )
    planned = asyncio.run(loop.run(args.rate, args.seconds))
    latencies = sorted(loop.tally.latencies)
    print(
        MARKER
        + json.dumps(
            {
                "planned": planned,
                "completed": len(latencies),
                "failures": loop.tally.failures,
                "p50_us": percentile(latencies, 0.50) * 1e6,
                "p99_us": percentile(latencies, 0.99) * 1e6,
                "max_us": (latencies[-1] if latencies else 0.0) * 1e6,
                "worst_send_lag_us": loop.tally.worst_lag * 1e6,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
