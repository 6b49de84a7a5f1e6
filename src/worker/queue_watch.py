"""Keeps the queue-depth gauges current while the worker runs."""

import asyncio
import logging
from typing import Protocol

from worker.ports import QueueUnavailable

log = logging.getLogger("appointment_api.worker")

WATCH_INTERVAL_SECONDS = 15.0


class QueueDepths(Protocol):
    """Reads the queues' depths and records them (queue_depths + the metrics, wired)."""

    async def __call__(self) -> None: ...


async def watch_queue_depths(
    measure: QueueDepths, stop: asyncio.Event, *, every: float = WATCH_INTERVAL_SECONDS
) -> None:
    while not stop.is_set():
        try:
            await measure()
        except QueueUnavailable as error:
            log.warning("queue depths not measured: %s", error)
        try:
            async with asyncio.timeout(every):
                await stop.wait()
        except TimeoutError:
            continue
