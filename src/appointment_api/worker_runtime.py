"""The worker's wiring: the queue from the settings, and the parts that run on it."""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from infra.config import Settings
from worker.consumer import Consumer
from worker.dead_letters import DeadLetterSweeper
from worker.outbox_relay import OutboxRelay
from worker.ports import DeadLetterQueue, MessageQueue
from worker.runner import Part, run_until_stopped

if TYPE_CHECKING:
    from appointment_api.bootstrap import Resources

log = logging.getLogger("appointment_api.worker")


@asynccontextmanager
async def open_queue(settings: Settings) -> AsyncIterator[tuple[MessageQueue, DeadLetterQueue]]:
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


def worker_parts(
    resources: "Resources", queue: MessageQueue, dead_letters: DeadLetterQueue
) -> list[Part]:
    settings = resources.settings
    relay = OutboxRelay(
        resources.outbox,
        queue,
        resources.clock,
        idle_seconds=settings.relay_idle_seconds,
        wake=resources.outbox_signal,
    )
    consumer = Consumer(
        queue,
        resources.decisions,
        resources.status_events,
        resources.clock,
        concurrency=settings.worker_concurrency,
        visibility_timeout=settings.sqs_visibility_timeout,
    )
    sweeper = DeadLetterSweeper(
        dead_letters, resources.decisions, resources.status_events, resources.clock
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


async def run_worker(resources: "Resources") -> None:
    """The ``worker`` command: until SIGTERM or SIGINT, then finish in-flight messages."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_queue(resources.settings) as (queue, dead_letters):
            log.info("worker started")
            await run_until_stopped(worker_parts(resources, queue, dead_letters), stop)
    finally:
        await resources.close()
        log.info("worker stopped")
