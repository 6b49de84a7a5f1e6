"""The loops that send what notices stored: webhook deliveries, emails, due reminders.
Each takes a batch, and when there was nothing to do waits for a wake-up (something was
just stored in this process) or its idle interval (stored elsewhere, or falling due)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from application.errors import DatabaseUnavailable
from worker.backoff import Backoff
from worker.waiting import pause

log = logging.getLogger("appointment_api.notifications")
Step = Callable[[], Awaitable[int]]


class Wakeup:
    """Wakes every loop at once."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def event(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def __call__(self) -> None:
        for event in self._events:
            event.set()


class NotificationLoops:
    def __init__(
        self,
        steps: Sequence[tuple[str, Step]],
        *,
        wakeup: Wakeup,
        idle_seconds: float,
        outage_backoff: Callable[[], Backoff],
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        """``on_stop``: run once every loop has stopped (work still in flight finishes)."""
        self._on_stop = on_stop
        self._steps = [(name, step, wakeup.event()) for name, step in steps]
        self._idle = idle_seconds
        self._backoff = outage_backoff

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._loop(n, s, w, stop) for n, s, w in self._steps))
        for finish in self._on_stop:
            await finish()

    async def _loop(self, name: str, step: Step, woken: asyncio.Event, stop: asyncio.Event) -> None:
        backoff = self._backoff()
        while not stop.is_set():
            woken.clear()
            try:
                done = await step()
            except DatabaseUnavailable as error:
                delay = backoff.next_delay()
                log.warning("%s: database unavailable, waiting %.1f s: %s", name, delay, error)
                await pause(stop, delay)
                continue
            except Exception:
                # A bug or a bad row must not stop the others' notifications: logged in
                # full, tried again after the idle interval.
                log.exception("%s failed", name)
                await pause(stop, self._idle)
                continue
            backoff.reset()
            if done == 0:
                await _first(woken, stop, self._idle)


async def _first(woken: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.ensure_future(woken.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
