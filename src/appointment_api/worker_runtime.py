"""The ``worker`` process: the parts the composition root builds, run until a signal."""

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from appointment_api.bootstrap import Resources, worker_parts
from appointment_api.metrics import WorkerMetrics
from infra.config import Settings
from infra.queue.depths import queue_depths
from infra.queue.opening import open_queue
from worker.queue_watch import watch_queue_depths
from worker.runner import run_until_stopped

log = logging.getLogger("appointment_api.worker")


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


async def run_worker(resources: Resources) -> None:
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
