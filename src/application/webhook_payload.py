"""A webhook's body: the Standard Webhooks envelope (``type``, ``timestamp``, ``data``)
around the event and the appointment as the API shows it to staff, ids as the API's
global IDs. Owned here, beside the other wire shapes, not by the GraphQL package."""

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

from application.notification_ports import People
from domain.appointments import Appointment, StatusEvent
from domain.notices import event_type


def global_id(type_name: str, value: UUID) -> str:
    """The API's opaque ID of an object (the same encoding the GraphQL layer uses)."""
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode().rstrip("=")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def payload(appointment: Appointment, event: StatusEvent, people: People | None) -> dict[str, Any]:
    patient = people.patient if people else None
    psychologist = people.psychologist if people else None
    return {
        "type": event_type(event),
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "event": {
                "version": event.version,
                "status": event.status.value,
                "previousStatus": event.previous_status.value if event.previous_status else None,
                "reason": event.reason,
                "occurredAt": event.occurred_at.isoformat(),
                "requestId": event.request_id,
                "kind": event.kind.value,
                "previousScheduledAt": _time(event.previous_scheduled_at),
                "scheduledAt": _time(event.scheduled_at),
            },
            "appointment": {
                "id": global_id("Appointment", appointment.id),
                "patient": {
                    "id": global_id("Patient", appointment.patient_id),
                    "name": patient.name if patient else None,
                    "email": patient.email if patient else None,
                },
                "psychologist": {
                    "id": global_id("Psychologist", appointment.psychologist_id),
                    "name": psychologist.name if psychologist else None,
                    "email": psychologist.email if psychologist else None,
                },
                "scheduledAt": appointment.scheduled_at.isoformat(),
                "endsAt": appointment.ends_at.isoformat(),
                "durationMinutes": appointment.duration_minutes,
                "appointmentType": appointment.appointment_type.value,
                "meetingType": appointment.meeting_type.value,
                "meetingUrl": appointment.meeting_url,
                "notes": appointment.notes,
                "consultationFee": str(appointment.consultation_fee),
                "isPaid": appointment.is_paid,
                "status": appointment.status.value,
                "rejectionReason": (
                    appointment.rejection_reason.value if appointment.rejection_reason else None
                ),
                "cancellationReason": appointment.cancellation_reason,
                "version": appointment.version,
                "createdAt": appointment.created_at.isoformat(),
                "updatedAt": appointment.updated_at.isoformat(),
            },
        },
    }
