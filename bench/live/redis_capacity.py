"""How many messages one Redis fans out: PUBLISH of a status event's size to one
channel with 1 to 32 subscribed connections (an API replica holds one), measured on
Redis itself.

The publisher is ``redis-benchmark`` (C, pipelined) and the subscribers ``redis-cli
SUBSCRIBE`` (C, output thrown away), so that Redis, not a Python client, is what
saturates; Redis' CPU comes from ``INFO cpu`` and its PUBLISH calls from ``INFO
commandstats``, above its idle CPU."""

import shutil
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from bench.errors import BenchError
from bench.live import redis_stats
from bench.live.redis_stats import RedisCounters

CHANNEL = "bench-capacity"
# About the size of the app's encoded status event (application.live_events.encode_event).
PAYLOAD = "x" * 520
PIPELINE = 32
CLIENTS = 4
IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class Capacity:
    subscribers: int
    seconds: float
    redis: RedisCounters  # above idle

    @property
    def publishes_per_second(self) -> float:
        return self.redis.publishes / self.seconds

    @property
    def deliveries_per_second(self) -> float:
        return self.publishes_per_second * self.subscribers

    @property
    def cpu_us_per_delivery(self) -> float:
        return self.redis.cpu_seconds * 1e6 / (self.redis.publishes * self.subscribers)


def _subscribed(client: redis.Redis) -> int:
    reply = client.pubsub_numsub(CHANNEL)
    return int(reply[0][1]) if reply else 0


def measure(url: str, subscribers: int, publishes: int) -> Capacity:
    for program in ("redis-benchmark", "redis-cli"):
        if shutil.which(program) is None:
            raise BenchError(f"{program} is missing (Debian's redis-tools)")
    address = urlsplit(url)
    host, port = address.hostname or "127.0.0.1", str(address.port or 6379)
    client: redis.Redis = redis.Redis.from_url(url)
    with ExitStack() as stack:
        stack.callback(client.close)
        for _ in range(subscribers):
            process = subprocess.Popen(
                ["redis-cli", "-h", host, "-p", port, "SUBSCRIBE", CHANNEL],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(_stop, process)
        deadline = time.monotonic() + 30
        while _subscribed(client) < subscribers:
            if time.monotonic() > deadline:
                raise BenchError(f"{_subscribed(client)} of {subscribers} subscribers came")
            time.sleep(0.05)
        idle = redis_stats.idle_cpu_per_second(url, IDLE_SECONDS)
        before = redis_stats.read(url)
        started = time.monotonic()
        benchmark = ["redis-benchmark", "-h", host, "-p", port, "-q", "-n", str(publishes)]
        benchmark += ["-c", str(CLIENTS), "-P", str(PIPELINE), "PUBLISH", CHANNEL, PAYLOAD]
        subprocess.run(
            benchmark,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        spent = (redis_stats.read(url) - before).above_idle(idle, seconds)
        if _subscribed(client) != subscribers:
            raise BenchError("Redis dropped subscribers during the run (output buffer limit?)")
    return Capacity(subscribers, seconds, spent)


def _stop(process: "subprocess.Popen[bytes]") -> None:
    process.terminate()
    process.wait(timeout=10)
