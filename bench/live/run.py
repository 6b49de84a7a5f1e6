"""``python -m bench live``: one event fanned out to 1,000, 5,000 and 10,000 websocket
subscribers of one API process, fed through Redis; the steady part; and the parts on
the bench's own appointments (spread, feed, replicas, in ``parts.py``) and Redis alone
(``redis_capacity.py``)."""

import json
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import cpu
from bench.errors import BenchError
from bench.folders import work_folder
from bench.live import parts, redis_capacity, redis_stats, report, report_parts
from bench.live.options import Options
from bench.live.services import (
    RedisServer,
    raise_open_files_limit,
    say,
    seeded_database,
    start_api,
    token,
)
from bench.live.steady import SteadyResult, full_stack, new_slots, run_steady
from bench.live.world import parts_world
from bench.machine import describe
from bench.servers import new_jwt_secret
from support.launcher import Api as HttpServer
from support.postgres import PostgresCluster
from support.processes import log_tail

CANCELLABLE = """
query Cancellable($from: DateTime!, $first: Int!) {
  appointments(first: $first, filter: {status: [PENDING, CONFIRMED], scheduledFrom: $from}) {
    nodes { id status }
  }
}
"""
CANCEL = """
mutation Cancel($id: ID!) {
  cancelAppointment(input: {appointmentId: $id, reason: "fan-out benchmark"}) {
    appointment { status }
    userErrors { message }
  }
}
"""
READ_ONE = """
query One($id: ID!) { appointment(id: $id) { id status scheduledAt } }
"""
# Lets the server finish what the last subscriptions started before its memory is read.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class FanOut:
    subscribers: int
    connect_seconds: float
    connect_cpu_seconds: float
    rss_before_kib: int
    rss_after_kib: int
    commit_to_receipt_ms: list[float]
    sent_to_receipt_ms: list[float]
    mutation_ms: float
    # cancelAppointment on the same server before any subscriber connected.
    mutation_alone_ms: float
    # An ordinary query, one after the other, from the mutation until the last receipt.
    query_during_fanout_ms: list[float]
    fanout_seconds: float
    api_cpu_seconds: float
    machine_busy_seconds: float
    load_average: str

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.subscribers


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


def graphql(server: HttpServer, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - our own server over http
        f"{server.base_url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our server
        answer: dict[str, Any] = json.load(response)
    if answer.get("errors"):
        raise BenchError(f"GraphQL errors: {answer['errors']}")
    data: dict[str, Any] = answer["data"]
    return data


def cancellable_appointments(server: HttpServer, bearer: str, count: int) -> list[str]:
    since = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    data = graphql(server, bearer, CANCELLABLE, **{"from": since, "first": count})
    ids = [node["id"] for node in data["appointments"]["nodes"]]
    if len(ids) < count:
        raise BenchError(f"the demo world holds {len(ids)} cancellable appointments, not {count}")
    return ids


def _read_line(process: subprocess.Popen[str], prefix: str, log: Path) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(prefix):
        process.wait()
        raise BenchError(f"subscriber process ended ({process.returncode}):\n{log_tail(log)}")
    return line.removeprefix(prefix).strip()


class Reader(threading.Thread):
    """Ordinary queries, one after the other, timed, until told to stop."""

    def __init__(self, server: HttpServer, bearer: str, appointment: str) -> None:
        super().__init__(daemon=True)
        self.server, self.bearer, self.appointment = server, bearer, appointment
        self.stopping = threading.Event()
        self.times_ms: list[float] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            graphql(self.server, self.bearer, READ_ONE, id=self.appointment)
            self.times_ms.append((time.perf_counter() - started) * 1000)


def fan_out(
    server: HttpServer,
    bearer: str,
    appointment: str,
    unwatched: str,
    n: int,
    generators: int,
    workdir: Path,
) -> FanOut:
    url = f"ws://127.0.0.1:{server.port}/graphql"
    graphql(server, bearer, READ_ONE, id=appointment)  # the first request warms the server
    alone_sent = time.time()
    graphql(server, bearer, CANCEL, id=unwatched)
    mutation_alone_ms = (time.time() - alone_sent) * 1000
    shares = [n // generators + (1 if i < n % generators else 0) for i in range(generators)]
    rss_before = vm_rss_kib(server.pid)
    cpu_before_connect = cpu.process_seconds(server.pid)
    processes: list[tuple[subprocess.Popen[str], Path]] = []
    started = time.monotonic()
    try:
        for i, count in enumerate(shares):
            log = workdir / f"subscribers-{n}-{i}.log"
            command = [sys.executable, "-m", "bench.live.subscribers", "--url", url]
            command += ["--token", bearer, "--appointment", appointment, "--count", str(count)]
            with log.open("w") as errors:
                process = subprocess.Popen(
                    command, stdout=subprocess.PIPE, stderr=errors, text=True
                )
            processes.append((process, log))
        for process, log in processes:
            _read_line(process, "READY ", log)
        connect_seconds = time.monotonic() - started
        connect_cpu = cpu.process_seconds(server.pid) - cpu_before_connect
        time.sleep(SETTLE_SECONDS)
        rss_after = vm_rss_kib(server.pid)

        cpu_before = cpu.process_seconds(server.pid)
        busy_before = cpu.machine_busy_seconds()
        load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        reader = Reader(server, bearer, appointment)
        sent = time.time()
        reader.start()
        data = graphql(server, bearer, CANCEL, id=appointment)["cancelAppointment"]
        answered = time.time()
        if data["userErrors"] or data["appointment"]["status"] != "CANCELLED":
            raise BenchError(f"cancelAppointment failed: {data}")
        received: list[float] = []
        occurred: list[float] = []
        for process, log in processes:
            result = json.loads(_read_line(process, "RESULT ", log))
            if result["status"] != "CANCELLED":
                raise BenchError(f"subscribers received {result['status']}, not CANCELLED")
            received += result["received"]
            occurred += [_instant(at) for at in result["occurred_at"]]
        reader.stopping.set()
        reader.join()
        api_cpu = cpu.process_seconds(server.pid) - cpu_before
        busy = cpu.machine_busy_seconds() - busy_before
        for process, _ in processes:
            process.wait(timeout=60)
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return FanOut(
        subscribers=n,
        connect_seconds=connect_seconds,
        connect_cpu_seconds=connect_cpu,
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        commit_to_receipt_ms=sorted(
            (t - at) * 1000 for t, at in zip(received, occurred, strict=True)
        ),
        sent_to_receipt_ms=sorted((t - sent) * 1000 for t in received),
        mutation_ms=(answered - sent) * 1000,
        mutation_alone_ms=mutation_alone_ms,
        query_during_fanout_ms=sorted(reader.times_ms),
        fanout_seconds=max(received) - sent,
        api_cpu_seconds=api_cpu,
        machine_busy_seconds=busy,
        load_average=load_average,
    )


def _instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(options: Options, command: str) -> None:
    started = datetime.now(UTC)
    open_files = raise_open_files_limit()
    if max(options.subscribers) + 1000 > open_files:
        raise BenchError(f"the open-files limit ({open_files}) is too low for the subscribers")
    results: list[FanOut] = []
    steady: list[SteadyResult] = []
    own = OwnParts([], [], [])
    capacity: list[redis_capacity.Capacity] = []
    with ExitStack() as stack:
        workdir = work_folder(stack, "bench-live-")
        cluster, url = seeded_database(stack)
        redis = RedisServer(workdir)
        stack.callback(redis.stop)
        redis.start()
        if "fanout" in options.parts:
            results = fan_outs(url, redis.url, options, workdir)
        if PARTS_OF_OWN_WORLD & set(options.parts):
            own = own_parts(cluster, redis.url, options, workdir)
        if "redis" in options.parts:
            for n in options.capacity_subscribers:
                say(f"redis: PUBLISH to {n} subscribed connection(s)")
                capacity.append(redis_capacity.measure(redis.url, n, options.capacity_publishes))
                say(report_parts.capacity_line(capacity[-1]))
        if "steady" in options.parts:
            with ExitStack() as deployment:
                deployed = full_stack(deployment, cluster, workdir, redis.url)
                slots = new_slots()
                for rate in options.rates:
                    say(
                        f"full stack with Redis: {rate:g} requests/s for {options.steady_seconds:g} s"
                    )
                    steady.append(run_steady(deployed, slots, rate, options.steady_seconds))
                    say(report.steady_line(steady[-1]))
        postgres = cluster.version()
        redis_version = redis_stats.version(redis.url)
    summary = report.Run(
        started=started,
        command=command,
        machine=describe(postgres, ("websockets", "redis", "moto")),
        options=options,
        open_files=open_files,
        results=results,
        steady=steady,
        spread=own.spread,
        feeds=own.feeds,
        replicas=own.replicas,
        capacity=capacity,
        redis_version=redis_version,
    )
    texts = (
        ([report.section(summary)] if results else [])
        + ([report.steady_section(summary)] if steady else [])
        + report.sections_of_parts(summary)
    )
    for text in texts:
        say("\n" + text)
    if options.results is not None:
        report.write(options.results, summary)
        say(f"written to {options.results}")


def fan_outs(url: str, redis_url: str, options: Options, workdir: Path) -> list[FanOut]:
    secret = new_jwt_secret()
    admin = token(secret, url, "admin", "admin-1")
    targets: list[str] = []
    results: list[FanOut] = []
    for n in options.subscribers:
        # A fresh API process per size: memory freed by the previous size's
        # connections would otherwise be reused and hide the new ones' cost.
        with ExitStack() as per_size:
            server = start_api(per_size, url, secret, workdir, f"api-{n}", REDIS_URL=redis_url)
            if not targets:
                targets = cancellable_appointments(server, admin, 2 * len(options.subscribers))
            appointment, unwatched = targets[2 * len(results) : 2 * len(results) + 2]
            say(f"{n:,} subscribers to {appointment}")
            result = fan_out(server, admin, appointment, unwatched, n, options.generators, workdir)
            server.check_alive()
        results.append(result)
        say(report.line(result))
    return results


PARTS_OF_OWN_WORLD = {"spread", "feed", "replicas"}


@dataclass(frozen=True)
class OwnParts:
    spread: list[parts.SpreadResult]
    feeds: list[parts.FeedResult]
    replicas: list[parts.ReplicasResult]


def own_parts(
    cluster: PostgresCluster, redis_url: str, options: Options, workdir: Path
) -> OwnParts:
    """The parts on the bench's own appointments: spread, feed, replicas."""
    spread_runs = [
        (source, n)
        for source in options.spread_sources
        for n in options.spread_subscribers
        if "spread" in options.parts
    ]
    spread_total = sum(n for _, n in spread_runs)
    replica_runs = len(options.replica_counts) if "replicas" in options.parts else 0
    feed_count = 1 + round(options.feed_rate * options.feed_seconds)
    feed_total = feed_count * len(options.feed_sources) if "feed" in options.parts else 0
    say(
        f"generating appointments: {feed_total:,} for the feed, {spread_total + replica_runs:,} others"
    )
    world = parts_world(cluster, feed_total, spread_total + replica_runs, say)
    own = OwnParts([], [], [])
    taken = 0
    for source, n in spread_runs:
        rate = options.spread_rate if source == "api" else options.spread_publish_rate
        say(f"spread ({source}, {rate:g}/s): {n:,} subscribers, each to its own appointment")
        ids = world.others[taken : taken + n]
        taken += n
        result = parts.spread(world, ids, redis_url, rate, options.generators, workdir, source)
        own.spread.append(result)
        say(report_parts.spread_line(result))
    if "feed" in options.parts:
        for i, source in enumerate(options.feed_sources):
            say(f"feed ({source}): {options.feed_rate:g} events/s for {options.feed_seconds:g} s")
            ids = world.feed[i * feed_count : (i + 1) * feed_count]
            own.feeds.append(parts.feed(world, ids, redis_url, options.feed_rate, workdir, source))
            say(report_parts.feed_line(own.feeds[-1]))
    if "replicas" in options.parts:
        n = options.replica_subscribers
        for count in options.replica_counts:
            say(f"replicas: {count} API(s), {n:,} subscribers each")
            appointment = world.others[taken]
            taken += 1
            own.replicas.append(
                parts.replicas(world, appointment, redis_url, n, workdir, say, count)
            )
            say(report_parts.replicas_line(own.replicas[-1]))
    return own
