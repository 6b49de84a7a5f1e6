"""Publishing committed status events on the channels subscribers listen to."""

import logging

from domain.appointments import Appointment, StatusEvent
from resolvers.live_events import channels_for, encode_event
from resolvers.ports import EventStream, StreamInterrupted

log = logging.getLogger("appointment_api.pubsub")


class ChannelStatusEvents:
    """Implements the resolvers' and worker's StatusEventPublisher over an EventStream.

    Publishing is best effort: the change is already committed, and a subscriber
    that missed it converges when it subscribes again (the current state, or a
    replay from its cursor). So a broker outage is logged, never raised into the
    mutation or the worker that made the change.
    """

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    async def publish(self, appointment: Appointment, event: StatusEvent) -> None:
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
