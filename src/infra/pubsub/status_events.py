"""Publishing committed changes on the channels subscribers listen to: status events, and
the news that a psychologist's calendar changed."""

import logging

from application.changes import Announcement, StatusChange
from application.event_stream import EventStream, StreamInterrupted
from application.live_events import (
    channels_for,
    encode_event,
    encode_schedule_change,
    schedule_channel,
)

log = logging.getLogger("appointment_api.pubsub")


class ChannelStatusEvents:
    """The LiveUpdates port over an EventStream.

    Publishing is best effort: the change is already committed, and a subscriber
    that missed it converges when it subscribes again (the current state, or a
    replay from its cursor). So a broker outage is logged, never raised into the
    use case that made the change.
    """

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    async def publish(self, change: Announcement) -> None:
        if isinstance(change, StatusChange):
            await self._status(change)
            return
        message = encode_schedule_change(change.psychologist_id, change.request_id)
        try:
            await self._stream.publish(schedule_channel(change.psychologist_id), message)
        except StreamInterrupted as error:
            log.warning(
                "schedule change not published live: %s",
                error,
                extra={"request_id": change.request_id},
            )

    async def _status(self, change: StatusChange) -> None:
        appointment, event = change.appointment, change.event
        message = encode_event(appointment, event)
        # All channels in one round trip to the broker, not one per channel, before the
        # caller (a mutation about to answer) goes on.
        try:
            await self._stream.publish_many(channels_for(appointment), message)
        except StreamInterrupted as error:
            log.warning(
                "status event not published live: %s",
                error,
                extra={"request_id": event.request_id, "appointment_id": str(appointment.id)},
            )
