"""Publishing committed status events on the channels subscribers listen to."""

from typing import Protocol

import orjson

from domain.appointments import Appointment, StatusEvent


class Publisher(Protocol):
    async def publish(self, channel: str, message: bytes) -> int: ...


def channels_for(appointment: Appointment) -> tuple[str, ...]:
    return (
        f"appointment:{appointment.id}",
        f"patient:{appointment.patient_id}",
        f"psychologist:{appointment.psychologist_id}",
    )


def encode_event(appointment: Appointment, event: StatusEvent) -> bytes:
    return orjson.dumps(
        {
            "appointment_id": str(event.appointment_id),
            "patient_id": str(appointment.patient_id),
            "psychologist_id": str(appointment.psychologist_id),
            "version": event.version,
            "status": event.status.value,
            "previous_status": event.previous_status.value if event.previous_status else None,
            "reason": event.reason,
            "request_id": event.request_id,
            "occurred_at": event.occurred_at.isoformat(),
            "sequence": event.sequence,
        }
    )


class ChannelStatusEvents:
    """Implements the resolvers' and worker's StatusEventPublisher over any pub/sub."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def publish(self, appointment: Appointment, event: StatusEvent) -> None:
        message = encode_event(appointment, event)
        for channel in channels_for(appointment):
            await self._publisher.publish(channel, message)
