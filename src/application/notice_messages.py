"""Every status change leaves a notice in the outbox, in the transaction that makes it: the
event and the appointment as that change left it. The worker turns each notice into
webhook deliveries, emails and reminders (``announcing``). Generic over the kind of
change: whatever use case records a status event, its notice follows."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from application.changes import StatusChange
from application.unit_of_work import Outbox, OutboxMessage
from domain.appointments import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    EventKind,
    MeetingType,
    RejectionReason,
    StatusEvent,
)

NOTICE_TOPIC = "appointment.changed"


class UnreadableNotice(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AnnounceChange:
    """Tell whoever should know about one committed change."""

    change: StatusChange


def notice(change: StatusChange) -> OutboxMessage:
    # One message group per appointment: its notices are handled in order.
    appointment, event = change.appointment, change.event
    return OutboxMessage(
        topic=NOTICE_TOPIC,
        group=f"notice:{appointment.id}",
        payload=_encode(appointment, event),
        request_id=event.request_id,
    )


async def leave_notices(outbox: Outbox, changes: Sequence[StatusChange]) -> None:
    """The before-commit hook of every unit of work that recorded status changes."""
    at = max(change.event.occurred_at for change in changes)
    await outbox.add([notice(change) for change in changes], at=at)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _encode(appointment: Appointment, event: StatusEvent) -> dict[str, str | None]:
    return {
        "appointment_id": str(appointment.id),
        "patient_id": str(appointment.patient_id),
        "psychologist_id": str(appointment.psychologist_id),
        "scheduled_at": appointment.scheduled_at.isoformat(),
        "duration_minutes": str(appointment.duration_minutes),
        "appointment_type": appointment.appointment_type.value,
        "meeting_type": appointment.meeting_type.value,
        "meeting_url": appointment.meeting_url,
        "notes": appointment.notes,
        "consultation_fee": str(appointment.consultation_fee),
        "is_paid": "true" if appointment.is_paid else "false",
        "status": appointment.status.value,
        "rejection_reason": _text(appointment.rejection_reason),
        "cancellation_reason": appointment.cancellation_reason,
        "version": str(appointment.version),
        "created_at": appointment.created_at.isoformat(),
        "updated_at": appointment.updated_at.isoformat(),
        "request_id": event.request_id,
        "event_version": str(event.version),
        "event_status": event.status.value,
        "event_previous_status": _text(event.previous_status),
        "event_reason": event.reason,
        "event_occurred_at": event.occurred_at.isoformat(),
        "event_kind": event.kind.value,
        "event_previous_scheduled_at": _time(event.previous_scheduled_at),
        "event_scheduled_at": _time(event.scheduled_at),
    }


def read_notice(document: Mapping[str, object]) -> AnnounceChange:
    try:
        d = {key: (None if value is None else str(value)) for key, value in document.items()}

        def need(key: str) -> str:
            value = d[key]
            if value is None:
                raise KeyError(key)
            return value

        appointment = Appointment(
            id=UUID(need("appointment_id")),
            patient_id=UUID(need("patient_id")),
            psychologist_id=UUID(need("psychologist_id")),
            scheduled_at=datetime.fromisoformat(need("scheduled_at")),
            duration_minutes=int(need("duration_minutes")),
            appointment_type=AppointmentType(need("appointment_type")),
            meeting_type=MeetingType(need("meeting_type")),
            meeting_url=d.get("meeting_url"),
            notes=d.get("notes"),
            consultation_fee=Decimal(need("consultation_fee")),
            is_paid=d.get("is_paid") == "true",
            status=AppointmentStatus(need("status")),
            rejection_reason=RejectionReason(r) if (r := d.get("rejection_reason")) else None,
            cancellation_reason=d.get("cancellation_reason"),
            version=int(need("version")),
            created_at=datetime.fromisoformat(need("created_at")),
            updated_at=datetime.fromisoformat(need("updated_at")),
            request_id=d.get("request_id"),
        )
        previous = d.get("event_previous_status")
        event = StatusEvent(
            appointment_id=appointment.id,
            version=int(need("event_version")),
            status=AppointmentStatus(need("event_status")),
            previous_status=AppointmentStatus(previous) if previous else None,
            occurred_at=datetime.fromisoformat(need("event_occurred_at")),
            reason=d.get("event_reason"),
            request_id=d.get("request_id"),
            # Notices written before kinds existed are changes of status.
            kind=EventKind(d.get("event_kind") or EventKind.STATUS_CHANGED),
            previous_scheduled_at=_read_time(d.get("event_previous_scheduled_at")),
            scheduled_at=_read_time(d.get("event_scheduled_at")),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise UnreadableNotice(f"not a notice: {error!r}") from error
    return AnnounceChange(StatusChange(appointment, event))
