"""The measured phases on one deployment: closed-loop throughput, then a steady rate."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.processes import BenchError
from bench.write.cpu_use import CpuMeter, CpuUse, own_seconds, reaped_children_seconds
from bench.write.observer import Observer
from bench.write.requests import BATCH_SIZE, batch_body, single_body
from bench.write.schedule import Slots
from bench.write.stacks import Mode, Stack
from bench.write.steady import SteadyRun, run_steady
from bench.write.wrk_bodies import BodiesWrk
from bench.wrk import LoadResult

# Requests prepared for a warm-up: more than the deployment can take at these rates...
WARMUP_CEILING = {1: 1500.0, BATCH_SIZE: 40.0}
# ...but at most this many batches per connection: enough to warm the API up, few
# enough for the full stack's decisions to catch up before the measured load.
WARMUP_BATCHES_PER_CONNECTION = 2
# The longest wait for the decisions of a warm-up, or of a measured load, to be taken.
DRAIN_LIMIT_SECONDS = 120.0
# Requests prepared for a measured run: this many times the warm-up's rate, at least.
HEADROOM = 3.0
MINIMUM_REQUESTS = {1: 2000, BATCH_SIZE: 60}
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
BATCH = Operation(f"requestAppointments, {BATCH_SIZE} items", BATCH_SIZE)


@dataclass(frozen=True)
class Drain:
    """What the decisions of one closed-loop phase looked like."""

    # Left over from the warm-up when the measured load began (decided meanwhile).
    pending_at_start: int
    created: int
    pending_at_stop: int
    seconds_after_stop: float
    # Still PENDING when the wait for decisions ended (0: all decided).
    pending_after: int
    # What each part spent during that wait.
    cpu: CpuUse


@dataclass(frozen=True)
class ClosedLoop:
    operation: Operation
    connections: int
    load: LoadResult
    cpu: CpuUse
    drain: Drain

    @property
    def appointments_per_second(self) -> float:
        return self.load.requests_per_second * self.operation.per_request

    @property
    def appointments(self) -> int:
        return self.load.requests * self.operation.per_request

    @property
    def decisions_per_second(self) -> float:
        """Appointments of the load decided by the end of the wait, over the load and the
        wait together."""
        decided = self.drain.created - self.drain.pending_after
        return decided / (self.load.seconds + self.drain.seconds_after_stop)


@dataclass(frozen=True)
class Steady:
    run: SteadyRun
    cpu: CpuUse


@dataclass(frozen=True)
class ModeResult:
    mode: Mode
    closed: list[ClosedLoop]
    steady: list[Steady]
    # Appointments by final status (REJECTED with its reason).
    outcomes: dict[str, int]


def meter_for(stack: Stack, load_generator: Callable[[], float]) -> CpuMeter:
    return CpuMeter(stack.cpu_sources(), load_generator)


async def total(observer: Observer) -> int:
    return sum((await observer.outcomes()).values())


async def closed_loop(
    stack: Stack,
    observer: Observer,
    wrk: BodiesWrk,
    slots: Slots,
    operation: Operation,
    *,
    connections: int,
    warmup: float,
    seconds: float,
    say: Callable[[str], None],
) -> ClosedLoop:
    """Warm up, let the backlog drain, then load for ``seconds`` and time the drain after."""
    name = f"{stack.mode.value}-{operation.per_request}"
    expected = MINIMUM_REQUESTS[operation.per_request]
    if warmup > 0:
        count = int(WARMUP_CEILING[operation.per_request] * max(warmup, 1.0)) + connections
        if operation.per_request > 1:
            count = min(count, WARMUP_BATCHES_PER_CONNECTION * connections)
        bodies = operation.bodies(slots, count)
        warm = wrk.run(
            f"{name}-warmup", stack.graphql_url, bodies, warmup, connections, warmup=True
        )
        _refuse_bad(warm.bad, warm.sample, operation)
        expected = max(expected, int(warm.load.requests_per_second * HEADROOM * seconds))
        await observer.wait_until_decided(
            STALL_SECONDS, stack.check_alive, limit=DRAIN_LIMIT_SECONDS
        )
    bodies = operation.bodies(slots, expected + connections)
    meter = meter_for(stack, reaped_children_seconds)
    created_before = await total(observer)
    pending_at_start = await observer.pending()
    before = meter.snapshot()
    ran = wrk.run(name, stack.graphql_url, bodies, seconds, connections)
    after = meter.snapshot()
    _refuse_bad(ran.bad, ran.sample, operation)
    pending = await observer.pending()
    stack.check_alive()
    waiting = meter.snapshot()
    waited, left = await observer.wait_until_decided(
        STALL_SECONDS, stack.check_alive, limit=DRAIN_LIMIT_SECONDS
    )
    waited_cpu = meter.between(waiting, meter.snapshot(), waited)
    created = await total(observer) - created_before
    result = ClosedLoop(
        operation=operation,
        connections=connections,
        load=ran.load,
        cpu=meter.between(before, after, ran.load.seconds),
        drain=Drain(
            pending_at_start=pending_at_start,
            created=created,
            pending_at_stop=pending,
            seconds_after_stop=waited,
            pending_after=left,
            cpu=waited_cpu,
        ),
    )
    say(
        f"  {operation.name:<26} {ran.load.requests_per_second:8,.1f} req/s "
        f"({result.appointments_per_second:,.0f} appointments/s)  "
        f"p50 {ran.load.p50_ms:7.1f} ms  p99 {ran.load.p99_ms:7.1f} ms  "
        f"{pending:,} pending at the end, "
        + (f"all decided {waited:.1f} s later" if not left else f"{left:,} after {waited:.0f} s")
    )
    return result


def _refuse_bad(bad: int, sample: str, operation: Operation) -> None:
    if bad:
        raise BenchError(f"{operation.name}: {bad} answers were errors, e.g.:\n{sample}")


async def steady(
    stack: Stack,
    observer: Observer,
    slots: Slots,
    *,
    rate: float,
    seconds: float,
    poll_seconds: float,
    say: Callable[[str], None],
) -> Steady:
    await observer.wait_until_decided(STALL_SECONDS, stack.check_alive)
    bodies = SINGLE.bodies(slots, max(1, round(rate * seconds)))
    meter = meter_for(stack, own_seconds)
    before, started = meter.snapshot(), time.monotonic()
    run = await run_steady(
        stack.graphql_url,
        stack.token,
        bodies,
        rate=rate,
        observer=observer,
        poll_seconds=poll_seconds,
    )
    after = meter.snapshot()
    stack.check_alive()
    result = Steady(run=run, cpu=meter.between(before, after, time.monotonic() - started))
    say(f"  steady {rate:g}/s: {len(run.samples):,} requests in {run.seconds:.1f} s")
    return result
