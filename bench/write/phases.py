"""The write benchmark's phases.

1. Answering: requestAppointment, and requestAppointments of 10 and of 100 items, from
   the API and from the bare floor in turn, each closed loop (wrk) on the same deployment;
   what each request costs the server, PostgreSQL and Redis in CPU.
2. Half the peak: requestAppointment at half the requests/s the API reached in 1, open
   loop: the answers' p50 and p99 when the API is not saturated.
3. The full stack: two APIs and two workers, requests at a steady rate, open loop: the
   time from each answer to its decision's commit, the backlog, and the CPU each part
   spends per appointment.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.errors import BenchError
from bench.write.cpu_use import CpuMeter, CpuUse, own_seconds, reaped_children_seconds
from bench.write.observer import Observer
from bench.write.requests import BATCH_SIZES, batch_body, single_body
from bench.write.schedule import Slots
from bench.write.stacks import FLOOR, Deployed
from bench.write.steady import SteadyRun, run_steady
from bench.write.wrk_bodies import BodiesWrk
from bench.wrk import LoadResult

API = "API"
APIS = "APIs"
# Requests prepared for a warm-up: more than either server can take, per second...
WARMUP_CEILING = {1: 2000.0, 10: 300.0, 100: 40.0}
# ...and for the measured load: this many times the warm-up's rate, at least the minimum.
HEADROOM = 2.5
MINIMUM_REQUESTS = {1: 1000, 10: 200, 100: 40}
STALL_SECONDS = 120.0


@dataclass(frozen=True)
class Operation:
    name: str
    per_request: int

    def bodies(self, slots: Slots, count: int) -> list[bytes]:
        if self.per_request == 1:
            return [single_body(slot) for slot in slots.take(count)]
        return [batch_body(slots.take(self.per_request)) for _ in range(count)]


SINGLE = Operation("requestAppointment", 1)
OPERATIONS = (SINGLE, *(Operation(f"requestAppointments, {n} items", n) for n in BATCH_SIZES))


@dataclass(frozen=True)
class Closed:
    """One server under one operation, closed loop."""

    server: str
    operation: Operation
    connections: int
    load: LoadResult
    cpu: CpuUse

    @property
    def appointments_per_second(self) -> float:
        return self.load.requests_per_second * self.operation.per_request

    @property
    def server_part(self) -> str:
        return APIS if self.server == API else FLOOR

    def cpu_ms_per_request(self, part: str | None = None) -> float:
        return self.cpu.per_unit_ms(part or self.server_part, self.load.requests)


@dataclass(frozen=True)
class Steady:
    run: SteadyRun
    cpu: CpuUse


async def closed_loop(
    deployed: Deployed,
    wrk: BodiesWrk,
    slots: Slots,
    operation: Operation,
    server: str,
    *,
    connections: int,
    warmup: float,
    seconds: float,
    say: Callable[[str], None],
) -> Closed:
    """Warm up, then load for ``seconds``; every answer must be an accepted request."""
    url = deployed.api_urls[0] if server == API else deployed.floor_url
    name = f"{server}-{operation.per_request}"
    expected = MINIMUM_REQUESTS[operation.per_request]
    if warmup > 0:
        count = int(WARMUP_CEILING[operation.per_request] * max(warmup, 1.0)) + connections
        warm = wrk.run(
            f"{name}-warmup", url, operation.bodies(slots, count), warmup, connections, warmup=True
        )
        _refuse_bad(warm.bad, warm.sample, operation, server)
        expected = max(expected, int(warm.load.requests_per_second * HEADROOM * seconds))
    bodies = operation.bodies(slots, expected + connections)
    meter = CpuMeter(deployed.cpu_sources(), reaped_children_seconds)
    before = meter.snapshot()
    ran = wrk.run(name, url, bodies, seconds, connections)
    after = meter.snapshot()
    _refuse_bad(ran.bad, ran.sample, operation, server)
    deployed.check_alive()
    result = Closed(
        server=server,
        operation=operation,
        connections=connections,
        load=ran.load,
        cpu=meter.between(before, after, ran.load.seconds),
    )
    say(
        f"  {server:<5} {operation.name:<30} {ran.load.requests_per_second:8,.1f} req/s "
        f"({result.appointments_per_second:,.0f} appointments/s)  "
        f"p50 {ran.load.p50_ms:7.1f} ms  p99 {ran.load.p99_ms:7.1f} ms  "
        f"server CPU {result.cpu_ms_per_request():.2f} ms/req, "
        f"PostgreSQL {result.cpu_ms_per_request('PostgreSQL'):.2f} ms/req"
    )
    return result


def _refuse_bad(bad: int, sample: str, operation: Operation, server: str) -> None:
    if bad:
        raise BenchError(f"{server} {operation.name}: {bad} answers were errors, e.g.:\n{sample}")


async def open_loop(
    deployed: Deployed,
    observer: Observer | None,
    slots: Slots,
    *,
    rate: float,
    seconds: float,
    poll_seconds: float,
    say: Callable[[str], None],
) -> Steady:
    """requestAppointment at ``rate`` per second for ``seconds``, to every API in turn;
    with an ``observer``, until every request is seen decided."""
    if observer is not None:
        await observer.wait_until_decided(STALL_SECONDS, deployed.check_alive)
    bodies = SINGLE.bodies(slots, max(1, round(rate * seconds)))
    meter = CpuMeter(deployed.cpu_sources(floor=False), own_seconds)
    before, started = meter.snapshot(), time.monotonic()
    run = await run_steady(
        deployed.api_urls,
        deployed.token,
        bodies,
        rate=rate,
        observer=observer,
        poll_seconds=poll_seconds,
    )
    after = meter.snapshot()
    deployed.check_alive()
    result = Steady(run=run, cpu=meter.between(before, after, time.monotonic() - started))
    say(
        f"  {rate:g} requests/s: {len(run.samples):,} answered in {run.seconds:.1f} s"
        + (f", {len(run.failures)} failed, e.g. {run.failures[0]}" if run.failures else "")
        + (f"; sending stopped after {run.stopped_after:,}" if run.stopped_after else "")
    )
    return result
