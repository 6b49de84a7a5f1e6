"""The worker's wiring: the queue from the settings, and the parts that run on it."""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Protocol

from appointment_api.metrics import WorkerMetrics
from infra.config import Settings
from infra.db.dead_letter_archive import SqlDeadLetterArchive
from infra.db.outages import SqlProbe
from infra.queue.depths import Measurable, queue_depths
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.dead_letters import DeadLetterSweeper
from worker.outage import DatabaseOutage
from worker.outbox_relay import OutboxRelay
from worker.ports import DeadLetterQueue, DecisionObserver, MessageQueue
from worker.queue_watch import watch_queue_depths
from worker.runner import Part, run_until_stopped

if TYPE_CHECKING:
    from appointment_api.bootstrap import Resources

log = logging.getLogger("appointment_api.worker")
# Pauses while the database is away: short at first, never longer than this.
OUTAGE_BACKOFF_BASE_SECONDS = 0.5
OUTAGE_BACKOFF_CAP_SECONDS = 15.0


class MeasurableQueue(MessageQueue, Measurable, Protocol):
    """Both adapters also tell their depth, for the metrics."""


class MeasurableDeadLetters(DeadLetterQueue, Measurable, Protocol):
    pass


@asynccontextmanager
async def open_queue(
    settings: Settings,
) -> AsyncIterator[tuple[MeasurableQueue, MeasurableDeadLetters]]:
    if settings.sqs_queue_url and settings.sqs_dlq_url:
        from infra.queue.sqs_client import SqsEndpoint
        from infra.queue.sqs_queue import open_sqs

        endpoint = SqsEndpoint(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
        async with open_sqs(
            settings.sqs_queue_url,
            settings.sqs_dlq_url,
            endpoint,
            max_receive_count=settings.sqs_max_receive_count,
        ) as (queue, dead_letters):
            yield queue, dead_letters
        return
    from infra.queue.memory_queue import in_memory_queue

    async with in_memory_queue(max_receive_count=settings.sqs_max_receive_count) as pair:
        yield pair


def _outage_backoff() -> Backoff:
    return Backoff(base=OUTAGE_BACKOFF_BASE_SECONDS, cap=OUTAGE_BACKOFF_CAP_SECONDS)


def worker_parts(
    resources: "Resources",
    queue: MessageQueue,
    dead_letters: DeadLetterQueue,
    observer: DecisionObserver | None = None,
) -> list[Part]:
    settings = resources.settings
    relay = OutboxRelay(
        resources.outbox,
        queue,
        resources.clock,
        idle_seconds=settings.relay_idle_seconds,
        wake=resources.outbox_signal,
        outage_backoff=_outage_backoff(),
    )
    consumer = Consumer(
        queue,
        resources.decisions,
        resources.status_events,
        resources.clock,
        DatabaseOutage(SqlProbe(resources.engine), _outage_backoff()),
        observer=observer,
        concurrency=settings.worker_concurrency,
        visibility_timeout=settings.sqs_visibility_timeout,
    )
    sweeper = DeadLetterSweeper(
        dead_letters,
        SqlDeadLetterArchive(resources.engine, resources.write_lock),
        resources.status_events,
        resources.clock,
        observer=observer,
        retry_base=OUTAGE_BACKOFF_BASE_SECONDS,
        retry_cap=OUTAGE_BACKOFF_CAP_SECONDS,
    )
    return [relay.run, consumer.run, sweeper.run]


@asynccontextmanager
async def embedded_worker(resources: "Resources", *, enabled: bool) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    async with open_queue(resources.settings) as (queue, dead_letters):
        running = asyncio.create_task(
            run_until_stopped(worker_parts(resources, queue, dead_letters), stop)
        )
        try:
            yield
        finally:
            stop.set()
            await running


@contextmanager
def serving_metrics(metrics: WorkerMetrics, settings: Settings) -> Iterator[None]:
    """``/metrics`` on HOST:WORKER_METRICS_PORT for the block, when the port is set."""
    port = settings.worker_metrics_port
    if port is None:
        yield
        return
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=settings.host, registry=metrics.registry)
    log.info("metrics on http://%s:%d/metrics", settings.host, port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def run_worker(resources: "Resources") -> None:
    """The ``worker`` command: until SIGTERM or SIGINT, then finish in-flight messages."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    metrics = WorkerMetrics()
    try:
        with serving_metrics(metrics, resources.settings):
            async with open_queue(resources.settings) as (queue, dead_letters):
                log.info("worker started")
                parts = worker_parts(resources, queue, dead_letters, metrics)
                if resources.settings.worker_metrics_port is not None:

                    async def measure() -> None:
                        metrics.observe_queues(await queue_depths(queue, dead_letters))

                    parts.append(lambda stopping: watch_queue_depths(measure, stopping))
                await run_until_stopped(parts, stop)
    finally:
        await resources.close()
        log.info("worker stopped")
