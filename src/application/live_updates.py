"""Telling live subscribers about committed changes."""

import logging
from collections.abc import Sequence
from typing import Protocol

from application.changes import Announcement, StatusChange

log = logging.getLogger("appointment_api.live")


class LiveUpdates(Protocol):
    async def publish(self, change: Announcement) -> None:
        """Tell live subscribers about a change that is already committed.

        Best effort: a broker outage is the adapter's to log, never raised, since a
        subscriber that missed the news converges when it subscribes again.
        """
        ...


async def publish_committed(live: LiveUpdates, changes: Sequence[Announcement]) -> None:
    for change in changes:
        try:
            await live.publish(change)
        except Exception:
            # The database holds the truth and the change is committed: failing the caller
            # now would report as failed what happened.
            log.exception("could not publish a committed change", extra=_about(change))


def _about(change: Announcement) -> dict[str, str | None]:
    if isinstance(change, StatusChange):
        return {
            "request_id": change.event.request_id,
            "appointment_id": str(change.appointment.id),
        }
    return {"request_id": change.request_id, "psychologist_id": str(change.psychologist_id)}
