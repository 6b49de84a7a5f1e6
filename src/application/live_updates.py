"""Telling live subscribers about committed changes."""

import logging
from collections.abc import Sequence
from typing import Protocol

from application.changes import StatusChange

log = logging.getLogger("appointment_api.live")


class LiveUpdates(Protocol):
    async def publish(self, change: StatusChange) -> None:
        """Tell live subscribers about a change that is already committed.

        Best effort: a broker outage is the adapter's to log, never raised, since a
        subscriber that missed the news converges when it subscribes again.
        """
        ...


async def publish_committed(live: LiveUpdates, changes: Sequence[StatusChange]) -> None:
    for change in changes:
        try:
            await live.publish(change)
        except Exception:
            # The database holds the truth and the change is committed: failing the caller
            # now would report as failed what happened.
            log.exception(
                "could not publish a status event",
                extra={
                    "request_id": change.event.request_id,
                    "appointment_id": str(change.appointment.id),
                },
            )
