"""Publishing committed status events on the channels subscribers listen to."""

import logging

from application.changes import StatusChange
from application.event_stream import EventStream, StreamInterrupted
from application.live_events import channels_for, encode_event

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

    async def publish(self, change: StatusChange) -> None:
        appointment, event = change.appointment, change.event
        message = encode_event(appointment, event)
        for channel in channels_for(appointment):
            try:
                await self._stream.publish(channel, message)
            except StreamInterrupted as error:
                log.warning(
                    "status event not published live: %s",
                    error,
                    extra={"request_id": event.request_id, "appointment_id": str(appointment.id)},
                )
                return
