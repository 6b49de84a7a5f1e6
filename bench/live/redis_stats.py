"""What Redis spent: its CPU (INFO cpu) and its PUBLISH / SPUBLISH calls (INFO
commandstats), read before and after a measured window."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

PUBLISHING = ("cmdstat_publish", "cmdstat_spublish")


@dataclass(frozen=True)
class RedisCounters:
    cpu_seconds: float  # main thread and children, user + system
    publishes: int
    publish_usec: int  # time inside the PUBLISH commands (fan-out to subscribers included)

    def __sub__(self, other: "RedisCounters") -> "RedisCounters":
        return RedisCounters(
            self.cpu_seconds - other.cpu_seconds,
            self.publishes - other.publishes,
            self.publish_usec - other.publish_usec,
        )

    def above_idle(self, idle_cpu_per_second: float, seconds: float) -> "RedisCounters":
        """The same with the CPU Redis spends idle (its timers) over ``seconds`` taken off."""
        cpu = max(0.0, self.cpu_seconds - idle_cpu_per_second * seconds)
        return RedisCounters(cpu, self.publishes, self.publish_usec)

    def cpu_us_per_publish(self) -> float | None:
        return self.cpu_seconds * 1e6 / self.publishes if self.publishes else None

    def command_us_per_publish(self) -> float | None:
        return self.publish_usec / self.publishes if self.publishes else None


def counters(cpu: Mapping[str, Any], commandstats: Mapping[str, Any]) -> RedisCounters:
    """From redis-py's parsed ``INFO cpu`` and ``INFO commandstats``."""
    seconds = sum(float(cpu.get(key, 0.0)) for key in ("used_cpu_sys", "used_cpu_user"))
    calls = usec = 0
    for name in PUBLISHING:
        stats = commandstats.get(name) or {}
        calls += int(stats.get("calls", 0))
        usec += int(stats.get("usec", 0))
    return RedisCounters(seconds, calls, usec)


def read(url: str) -> RedisCounters:
    client = redis.Redis.from_url(url)
    try:
        return counters(client.info("cpu"), client.info("commandstats"))
    finally:
        client.close()


def idle_cpu_per_second(url: str, seconds: float) -> float:
    """Redis' CPU per second over ``seconds`` in which the caller sends it nothing."""
    before = read(url)
    time.sleep(seconds)
    return (read(url) - before).cpu_seconds / seconds


def version(url: str) -> str:
    client = redis.Redis.from_url(url)
    try:
        return str(client.info("server").get("redis_version", "?"))
    finally:
        client.close()
