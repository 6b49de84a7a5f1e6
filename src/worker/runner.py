"""Runs the relay, the consumer and the dead-letter sweeper together until told to stop."""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

log = logging.getLogger("appointment_api.worker")

Part = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def run_until_stopped(parts: Sequence[Part], stop: asyncio.Event) -> None:
    """Every part gets the same stop event; one part failing stops the others too."""
    tasks = [asyncio.create_task(part(stop)) for part in parts]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                log.error("a worker part failed", exc_info=task.exception())
                stop.set()
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
