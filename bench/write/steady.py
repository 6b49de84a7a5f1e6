"""Open-loop load at a fixed rate, and when each accepted request is seen decided.

Request ``i`` is sent at ``start + i / rate`` to URL ``i % len(urls)`` (the APIs in
turn, as a round-robin balancer would), whatever the earlier ones are doing
(an open loop: a slow answer does not slow the arrivals), until the requests waiting
for an answer amount to ``BACKLOG_SECONDS`` of arrivals: past that the deployment has
fallen behind for good and more load would only lengthen its queue. After each answer the
appointment is watched: a poller reads the statuses of all watched appointments
every ``poll_seconds`` and notes, for each one found decided, the wall-clock time
at which that read began. The decision committed before that read and after the
previous one, so the figure is late by at most one poll interval plus one read. Without
an observer only the answers are timed. The backlog (answered, not yet seen decided) is
noted at every poll, to show whether it grows.
"""

import asyncio
import time
from dataclasses import dataclass, field
from uuid import UUID

import httpx
import orjson

from bench.errors import BenchError
from bench.write.observer import Observer
from resolvers.node_ids import from_global_id

HTTP_TIMEOUT_SECONDS = 60.0
KEEPALIVE_SECONDS = 2.0
# Sending stops once this many seconds' worth of requests wait for their answers.
BACKLOG_SECONDS = 10.0
DECISION_TIMEOUT_SECONDS = 120.0


@dataclass
class Sample:
    sent: float
    answered: float
    latency: float
    appointment_id: UUID
    decided_seen: float | None = None
    status: str | None = None
    committed: float | None = None


@dataclass
class SteadyRun:
    rate: float
    samples: list[Sample]
    # Wall-clock seconds from the first send to the last answer.
    seconds: float
    # How late each send left against its schedule (the generator's own lag).
    lateness: list[float] = field(default_factory=list)
    # Requests that got no accepted appointment: what went wrong, one line each.
    failures: list[str] = field(default_factory=list)
    planned: int = 0
    # Set when sending stopped early because the answers fell too far behind.
    stopped_after: int | None = None
    # (seconds since the first send, appointments answered but not yet seen decided).
    backlog: list[tuple[float, int]] = field(default_factory=list)

    @property
    def achieved_rate(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0


def _appointment_id(answer: bytes) -> UUID | None:
    payload = orjson.loads(answer)
    result = (payload.get("data") or {}).get("requestAppointment") or {}
    if payload.get("errors") or result.get("userErrors") or not result.get("appointment"):
        return None
    _, value = from_global_id(result["appointment"]["id"], argument="id")
    return value


class _Watch:
    """Accepted appointments not yet seen decided, and the poller that looks for them."""

    def __init__(self, observer: Observer, poll_seconds: float) -> None:
        self.observer = observer
        self.poll_seconds = poll_seconds
        self.waiting: dict[UUID, Sample] = {}
        self.sending_done = asyncio.Event()
        self.started = time.monotonic()
        self.backlog: list[tuple[float, int]] = []

    async def poll(self) -> None:
        last_progress = time.monotonic()
        while not (self.sending_done.is_set() and not self.waiting):
            self.backlog.append((time.monotonic() - self.started, len(self.waiting)))
            if self.waiting:
                began = time.time()
                found = await self.observer.decided(list(self.waiting))
                for appointment_id, status in found.items():
                    sample = self.waiting.pop(appointment_id)
                    sample.decided_seen, sample.status = began, status
                if found:
                    last_progress = time.monotonic()
                elif time.monotonic() - last_progress > DECISION_TIMEOUT_SECONDS:
                    raise BenchError(
                        f"{len(self.waiting)} appointments undecided "
                        f"after {DECISION_TIMEOUT_SECONDS:g} s"
                    )
            else:
                last_progress = time.monotonic()
            await asyncio.sleep(self.poll_seconds)


async def run_steady(
    urls: list[str],
    token: str,
    bodies: list[bytes],
    *,
    rate: float,
    observer: Observer | None,
    poll_seconds: float,
) -> SteadyRun:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Idle connections close before uvicorn's 5 s keep-alive timeout would close them
    # under a request about to be sent on them.
    limits = httpx.Limits(
        max_connections=256, max_keepalive_connections=256, keepalive_expiry=KEEPALIVE_SECONDS
    )
    watch = _Watch(observer, poll_seconds) if observer is not None else None
    samples: list[Sample] = []
    lateness: list[float] = []
    failures: list[str] = []

    async with httpx.AsyncClient(limits=limits, timeout=HTTP_TIMEOUT_SECONDS) as client:

        async def one(url: str, body: bytes) -> None:
            sent, began = time.time(), time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.TransportError as error:
                failures.append(f"{type(error).__name__}: {error}")
                return
            latency = time.perf_counter() - began
            answered = time.time()
            appointment_id = (
                _appointment_id(response.content) if response.status_code == 200 else None
            )
            if appointment_id is None:
                failures.append(f"HTTP {response.status_code}: {response.text[:300]}")
                return
            sample = Sample(sent, answered, latency, appointment_id)
            samples.append(sample)
            if watch is not None:
                watch.waiting[sample.appointment_id] = sample

        poller = asyncio.create_task(watch.poll() if watch is not None else asyncio.sleep(0))
        requests = []
        stopped_after: int | None = None
        try:
            start = time.perf_counter() + 0.05
            for index, body in enumerate(bodies):
                due = start + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                lateness.append(max(0.0, time.perf_counter() - due))
                requests.append(asyncio.create_task(one(urls[index % len(urls)], body)))
                if watch is not None and poller.done():
                    break
                unanswered = len(requests) - len(samples) - len(failures)
                if unanswered > rate * BACKLOG_SECONDS:
                    # The deployment fell this far behind: more load only measures the queue.
                    stopped_after = len(requests)
                    break
            await asyncio.gather(*requests)
            if watch is not None:
                watch.sending_done.set()
            await poller
        finally:
            for task in [*requests, poller]:
                task.cancel()
    if not samples:
        raise BenchError(f"no request of the steady phase succeeded: {failures[:3]}")
    first_sent = min(s.sent for s in samples)
    last_answer = max(s.answered for s in samples)
    if observer is not None and observer.on_postgres:
        committed = await observer.commit_times([s.appointment_id for s in samples])
        for sample in samples:
            sample.committed = committed.get(sample.appointment_id)
    return SteadyRun(
        rate,
        samples,
        last_answer - first_sent,
        lateness,
        failures,
        len(bodies),
        stopped_after,
        watch.backlog if watch is not None else [],
    )
