"""The live suite's parts beyond one appointment: events spread over many appointments,
a psychologist's feed at a steady rate, and the fan-out across two API replicas."""

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench import cpu
from bench.errors import BenchError
from bench.live import redis_stats
from bench.live.cancels import Cancellations, cancel_paced
from bench.live.generators import Generator, receipts, start_generator
from bench.live.pacing import instant, shares
from bench.live.publication import publish_paced
from bench.live.redis_stats import RedisCounters
from bench.live.services import say, start_api, token
from bench.live.world import FEED_PSYCHOLOGIST, PartsWorld, drop_backlog
from bench.servers import new_jwt_secret
from support.launcher import Api
from support.processes import log_tail

# What the subscribers hold once their first state arrived, before a window starts.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class Window:
    """What the API and Redis spent from the first mutation sent to the last receipt."""

    seconds: float
    api_cpu_seconds: float
    # The API processes' CPU per second over the pause before the window, while idle.
    api_idle_cores: float
    machine_busy_seconds: float
    redis: RedisCounters


class _Meter:
    """Started after the settle pause, over which it measures Redis' idle CPU."""

    def __init__(self, redis_url: str, pids: list[int]) -> None:
        self.redis_url, self.pids = redis_url, pids
        api_before = self._api()
        self.idle = redis_stats.idle_cpu_per_second(redis_url, SETTLE_SECONDS)
        self.api_idle = (self._api() - api_before) / SETTLE_SECONDS
        self.redis = redis_stats.read(redis_url)
        self.api = self._api()
        self.busy = cpu.machine_busy_seconds()
        self.started = time.time()

    def _api(self) -> float:
        return sum(cpu.process_seconds(pid) for pid in self.pids)

    def stop(self, last: float) -> Window:
        return Window(
            seconds=last - self.started,
            api_cpu_seconds=self._api() - self.api,
            api_idle_cores=self.api_idle,
            machine_busy_seconds=cpu.machine_busy_seconds() - self.busy,
            redis=(redis_stats.read(self.redis_url) - self.redis).above_idle(
                self.idle, last - self.started
            ),
        )


def _fresh_outbox(world: PartsWorld) -> None:
    outbox, emails = drop_backlog(world.url)
    if outbox or emails:
        say(f"  dropped the previous part's backlog: {outbox} outbox rows, {emails} emails")


def _ws(api: Api) -> str:
    return f"ws://127.0.0.1:{api.port}/graphql"


def _checked(cancellations: Cancellations) -> Cancellations:
    if cancellations.failures:
        raise BenchError(
            f"{len(cancellations.failures)} cancellations failed: {cancellations.failures[:3]}"
        )
    return cancellations


# --- spread: one subscriber per appointment, one event each ------------------------------


@dataclass(frozen=True)
class SpreadResult:
    source: str  # "api": cancelAppointment; "publish": straight to Redis
    subscribers: int
    rate: float
    connect_seconds: float
    cancellations: Cancellations
    commit_to_receipt_ms: list[float]
    window: Window


def spread(
    world: PartsWorld,
    ids: list[str],
    redis_url: str,
    rate: float,
    generators: int,
    workdir: Path,
    source: str = "api",
) -> SpreadResult:
    """``len(ids)`` subscribers of one fresh API, each following its own appointment; then
    every appointment cancelled at ``rate`` per second: through the API (source "api"),
    or its CANCELLED event published straight to Redis (source "publish")."""
    n = len(ids)
    secret = new_jwt_secret()
    admin = token(secret, world.url, "admin", "admin-1")
    with ExitStack() as stack:
        _fresh_outbox(world)
        name = f"api-spread-{source}-{n}"
        api = start_api(stack, world.url, secret, workdir, name, REDIS_URL=redis_url)
        started = time.monotonic()
        processes: list[Generator] = []
        stack.callback(_stop_all, processes)
        for i, part in enumerate(shares(ids, generators)):
            name = f"spread-{source}-{n}-{i}"
            processes.append(start_generator(_ws(api), admin, part, len(part), workdir, name))
        for process in processes:
            process.line("READY ")
        connect_seconds = time.monotonic() - started
        meter = _Meter(redis_url, [api.pid])
        if source == "api":
            sending = cancel_paced(api.graphql_url, admin, ids, rate)
        else:
            sending = publish_paced(redis_url, world.url, ids, rate)
        cancellations = _checked(asyncio.run(sending))
        pairs = [pair for process in processes for pair in receipts(process.result())]
        window = meter.stop(max(received for _, received in pairs))
        api.check_alive()
    return SpreadResult(
        source=source,
        subscribers=n,
        rate=rate,
        connect_seconds=connect_seconds,
        cancellations=cancellations,
        commit_to_receipt_ms=sorted((received - at) * 1000 for at, received in pairs),
        window=window,
    )


# --- feed: a psychologist's appointmentEvents at a steady rate ---------------------------


@dataclass(frozen=True)
class FeedEvent:
    appointment: str
    status: str
    occurred_at: float
    received: float


FEED_SOURCES = ("api", "publish")


@dataclass(frozen=True)
class FeedResult:
    source: str  # "api": cancelAppointment; "publish": straight to Redis
    rate: float
    seconds: float
    cancellations: Cancellations
    events: list[FeedEvent]
    window: Window

    @property
    def delays_ms(self) -> list[float]:
        return sorted((e.received - e.occurred_at) * 1000 for e in self.events)

    @property
    def missing(self) -> int:
        received = {e.appointment for e in self.events if e.status == "CANCELLED"}
        return sum(c.appointment not in received for c in self.cancellations.done)


def _listener_line(process: subprocess.Popen[str], prefix: str, log: Path) -> str:
    assert process.stdout is not None
    text = process.stdout.readline()
    if not text.startswith(prefix):
        process.wait()
        raise BenchError(f"feed listener ended ({process.returncode}):\n{log_tail(log)}")
    return text.removeprefix(prefix).strip()


def feed(
    world: PartsWorld,
    ids: list[str],
    redis_url: str,
    rate: float,
    workdir: Path,
    source: str,
) -> FeedResult:
    """The psychologist's own ``appointmentEvents`` (their token, no argument) on one API,
    while ``ids``, their appointments, are cancelled at ``rate`` per second: through that
    API (source "api"), or their CANCELLED events published straight to Redis as the API
    publishes them after a commit (source "publish")."""
    count = len(ids)
    probe, ids = ids[0], ids[1:]
    if count < 2:
        raise BenchError("the feed needs a probe and at least one appointment")
    secret = new_jwt_secret()
    admin = token(secret, world.url, "admin", "admin-1")
    psychologist = token(secret, world.url, "psychologist", FEED_PSYCHOLOGIST)
    log = workdir / f"feed-listener-{source}.log"
    with ExitStack() as stack:
        _fresh_outbox(world)
        api = start_api(
            stack, world.url, secret, workdir, f"api-feed-{source}", REDIS_URL=redis_url
        )
        command = [sys.executable, "-m", "bench.live.feed_listener", "--url", _ws(api)]
        with log.open("w") as errors:
            listener = subprocess.Popen(
                [*command, "--token", psychologist],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        stack.callback(_stop, listener)
        _listener_line(listener, "READY", log)
        # The probe proves the subscription is live before the measured cancellations.
        _checked(asyncio.run(cancel_paced(api.graphql_url, admin, [probe], 1.0)))
        _listener_line(listener, "FIRST", log)
        meter = _Meter(redis_url, [api.pid])
        if source == "api":
            sending = cancel_paced(api.graphql_url, admin, ids, rate)
        else:
            sending = publish_paced(redis_url, world.url, ids, rate)
        # Under a rate the API cannot hold, a request may fail: counted, not fatal.
        cancellations = asyncio.run(sending)
        if not cancellations.done:
            _checked(cancellations)
        if cancellations.failures:
            say(f"  {len(cancellations.failures)} failed, e.g. {cancellations.failures[0]}")
        assert listener.stdin is not None
        listener.stdin.write(f"EXPECT {len(cancellations.done)}\n")
        listener.stdin.flush()
        events = [
            FeedEvent(appointment, status, instant(at), received)
            for appointment, status, at, received in orjson.loads(
                _listener_line(listener, "RESULT ", log)
            )
        ]
        last = max((e.received for e in events), default=time.time())
        window = meter.stop(last)
        api.check_alive()
    sent = [c.sent for c in cancellations.done]
    return FeedResult(source, rate, max(sent) - min(sent), cancellations, events, window)


def _stop_all(processes: list[Generator]) -> None:
    for process in processes:
        process.stop()


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


# --- replicas: two APIs behind one Redis --------------------------------------------------


@dataclass(frozen=True)
class ReplicasResult:
    per_replica: int
    connect_seconds: float
    mutation_ms: float
    # Per replica, commit → receipt of each of its subscribers; replica 0 took the mutation.
    commit_to_receipt_ms: list[list[float]]
    window: Window


def replicas(
    world: PartsWorld,
    appointment: str,
    redis_url: str,
    per_replica: int,
    workdir: Path,
    say: Callable[[str], None],
    count: int = 2,
) -> ReplicasResult:
    """``count`` API processes on one database and one Redis, ``per_replica`` subscribers to
    one appointment on each (one generator process per replica); the appointment is
    cancelled through replica 0, and every replica's subscribers must get it."""
    secret = new_jwt_secret()
    admin = token(secret, world.url, "admin", "admin-1")
    with ExitStack() as stack:
        _fresh_outbox(world)
        apis = [
            start_api(stack, world.url, secret, workdir, f"api-replica-{i}", REDIS_URL=redis_url)
            for i in range(count)
        ]
        processes: list[Generator] = []
        stack.callback(_stop_all, processes)
        started = time.monotonic()
        for i, api in enumerate(apis):
            name = f"replica-{i}-{per_replica}"
            processes.append(
                start_generator(_ws(api), admin, [appointment], per_replica, workdir, name)
            )
        for process in processes:
            process.line("READY ")
        connect_seconds = time.monotonic() - started
        say(f"  {count} x {per_replica:,} subscribers connected in {connect_seconds:.1f} s")
        meter = _Meter(redis_url, [api.pid for api in apis])
        done = _checked(asyncio.run(cancel_paced(apis[0].graphql_url, admin, [appointment], 1.0)))
        per = [receipts(process.result()) for process in processes]
        window = meter.stop(max(received for pairs in per for _, received in pairs))
        for api in apis:
            api.check_alive()
    [cancelled] = done.done
    return ReplicasResult(
        per_replica=per_replica,
        connect_seconds=connect_seconds,
        mutation_ms=(cancelled.answered - cancelled.sent) * 1000,
        commit_to_receipt_ms=[
            sorted((received - at) * 1000 for at, received in pairs) for pairs in per
        ],
        window=window,
    )
