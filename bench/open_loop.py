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


def content_length(headers: bytes) -> int | None:
    for line in headers.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 answer (Content-Length or chunked)."""
    headers = await reader.readuntil(b"\r\n\r\n")
    status = int(headers.split(b" ", 2)[1])
    length = content_length(headers)
    if length is not None:
        return status, await reader.readexactly(length)
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


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
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)
        self.tally = Tally()

    async def one(self, planned: float) -> None:
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(self.request)
            status, body = await read_answer(reader)
            self.tally.latencies.append(time.perf_counter() - planned)
            if status != 200 or b'"errors"' in body:
                self.tally.failures += 1
            self.idle.append((reader, writer))

    async def run(self, rate: float, seconds: float) -> int:
        planned = int(rate * seconds)
        tasks = set()
        start = time.perf_counter() + 0.05
        for i in range(planned):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.tally.worst_lag = max(self.tally.worst_lag, time.perf_counter() - due)
            task = asyncio.create_task(self.one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        for _, writer in self.idle:
            writer.close()
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
        import uvloop  # noqa: PLC0415 - optional: a faster event loop when installed

        uvloop.install()
    except ImportError:
        pass
    loop = OpenLoop(args.url, request_bytes(args.url, args.body.read_bytes(), args.token), args.connections)
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
