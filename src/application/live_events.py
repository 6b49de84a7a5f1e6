"""Status events on the wire: the channels they are published on and their encoding.

The publisher (after a commit, in the API or the worker) and the subscriptions (on any
replica) both use this module, so the two sides cannot disagree about names or shape.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.appointments import (
    Actor,
    ActorRole,
    Appointment,
    AppointmentStatus,
    EventKind,
    StatusEvent,
)

EVERY_EVENT_CHANNEL = "appointments"


def appointment_channel(appointment_id: UUID) -> str:
    return f"appointment:{appointment_id}"


def patient_channel(patient_id: UUID) -> str:
    return f"patient:{patient_id}"


def psychologist_channel(psychologist_id: UUID) -> str:
    return f"psychologist:{psychologist_id}"


def channels_for(appointment: Appointment) -> tuple[str, ...]:
    """Everyone who may care: the appointment's own watchers, its two people, and admins."""
    return (
        appointment_channel(appointment.id),
        patient_channel(appointment.patient_id),
        psychologist_channel(appointment.psychologist_id),
        EVERY_EVENT_CHANNEL,
    )


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """A committed status event, with whom its appointment belongs to."""

    event: StatusEvent
    patient_id: UUID
    psychologist_id: UUID


class UnreadableEvent(ValueError):
    """A message on an event channel that is not a status event."""


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
            "kind": event.kind.value,
            "actor_role": event.actor.role.value if event.actor else None,
            "actor_subject": event.actor.subject if event.actor else None,
            "note": event.note,
            "previous_scheduled_at": _instant(event.previous_scheduled_at),
            "scheduled_at": _instant(event.scheduled_at),
        }
    )


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _read_instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def decode_event(message: bytes) -> PublishedEvent:
    try:
        document: dict[str, Any] = orjson.loads(message)
        previous = document["previous_status"]
        event = StatusEvent(
            appointment_id=UUID(document["appointment_id"]),
            version=int(document["version"]),
            status=AppointmentStatus(document["status"]),
            previous_status=AppointmentStatus(previous) if previous else None,
            occurred_at=datetime.fromisoformat(document["occurred_at"]),
            reason=document["reason"],
            request_id=document["request_id"],
            sequence=int(document["sequence"]) if document["sequence"] is not None else None,
            # Events published before these were carried say nothing of them.
            kind=EventKind(document.get("kind", EventKind.STATUS_CHANGED.value)),
            actor=(
                Actor(ActorRole(document["actor_role"]), document["actor_subject"])
                if document.get("actor_role")
                else None
            ),
            note=document.get("note"),
            previous_scheduled_at=_read_instant(document.get("previous_scheduled_at")),
            scheduled_at=_read_instant(document.get("scheduled_at")),
        )
        return PublishedEvent(
            event=event,
            patient_id=UUID(document["patient_id"]),
            psychologist_id=UUID(document["psychologist_id"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise UnreadableEvent(f"not a status event: {error}") from error


def schedule_channel(psychologist_id: UUID) -> str:
    """Where a psychologist's calendar changes are announced (hours, time off, settings)."""
    return f"schedule:{psychologist_id}"


def encode_schedule_change(psychologist_id: UUID, request_id: str | None) -> bytes:
    return orjson.dumps(
        {"kind": "schedule", "psychologist_id": str(psychologist_id), "request_id": request_id}
    )
