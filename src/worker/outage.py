"""A database outage as the consumer's receive loops share it.

A message received while the database is down can only be put back, and every
receive counts towards its dead-lettering: so once one loop sees the outage, no
loop receives again until a probe finds the database answering.
"""

import asyncio
import logging

from application.errors import DatabaseUnavailable
from worker.backoff import Backoff
from worker.ports import DatabaseProbe
from worker.waiting import pause

log = logging.getLogger("appointment_api.worker")


class DatabaseOutage:
    def __init__(self, probe: DatabaseProbe, backoff: Backoff) -> None:
        self._probe = probe
        self._backoff = backoff
        self._over = asyncio.Event()
        self._over.set()
        self._probing = asyncio.Lock()

    @property
    def ongoing(self) -> bool:
        return not self._over.is_set()

    def begin(self, error: DatabaseUnavailable) -> None:
        if self.ongoing:
            return
        self._over.clear()
        log.warning("database unavailable, receiving paused: %s", error)

    async def wait_until_over(self, stop: asyncio.Event) -> bool:
        """Probe with growing pauses until the database answers; False when told to stop."""
        async with self._probing:
            while self.ongoing and not stop.is_set():
                await pause(stop, self._backoff.next_delay())
                if stop.is_set():
                    break
                try:
                    await self._probe.check()
                except DatabaseUnavailable as error:
                    log.warning("database still unavailable: %s", error)
                    continue
                self._backoff.reset()
                self._over.set()
                log.info("database reachable again, receiving resumed")
        return not stop.is_set()
