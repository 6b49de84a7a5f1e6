"""Mapping between table rows and domain objects, in both directions."""

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from domain.appointments import (
    Actor,
    ActorRole,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    EventKind,
    MeetingType,
    RejectionReason,
    StatusEvent,
)
from domain.booking_settings import BookingSettings, Offering
from domain.lifecycle import SessionPolicy
from domain.people import Patient, Psychologist
from domain.schedule import Weekday, WorkingHours

Row = Mapping[Any, Any]


def working_hours_to_json(hours: tuple[WorkingHours, ...]) -> list[dict[str, str]]:
    return [
        {
            "weekday": h.weekday.name,
            "start": h.start.isoformat("minutes"),
            "end": h.end.isoformat("minutes"),
        }
        for h in hours
    ]


def working_hours_from_json(document: list[dict[str, str]]) -> tuple[WorkingHours, ...]:
    return tuple(
        WorkingHours(
            Weekday[item["weekday"]],
            time.fromisoformat(item["start"]),
            time.fromisoformat(item["end"]),
        )
        for item in document
    )


def psychologist_from_row(row: Row) -> Psychologist:
    return Psychologist(
        id=row["id"],
        subject=row["subject"],
        name=row["name"],
        email=row["email"],
        specialties=tuple(row["specialties"]),
        time_zone=row["time_zone"],
        working_hours=working_hours_from_json(row["working_hours"]),
        default_duration_minutes=row["default_duration_minutes"],
        consultation_fee=row["consultation_fee"],
        active=row["active"],
        languages=tuple(row["languages"]),
        bio=row["bio"],
    )


def settings_from_row(row: Row) -> BookingSettings:
    notice, advance = row["min_notice_minutes"], row["max_advance_days"]
    return BookingSettings(
        min_notice=None if notice is None else timedelta(minutes=notice),
        max_advance=None if advance is None else timedelta(days=advance),
        buffer_before=timedelta(minutes=row["buffer_before_minutes"]),
        buffer_after=timedelta(minutes=row["buffer_after_minutes"]),
        durations=tuple(row["session_durations"]),
        offerings=tuple(
            Offering(AppointmentType(item["type"]), Decimal(item["fee"]))
            for item in row["offerings"]
        ),
        max_sessions_per_day=row["max_sessions_per_day"],
    )


def settings_to_row(settings: BookingSettings) -> dict[str, Any]:
    return {
        "min_notice_minutes": (
            None if settings.min_notice is None else settings.min_notice // timedelta(minutes=1)
        ),
        "max_advance_days": None if settings.max_advance is None else settings.max_advance.days,
        "buffer_before_minutes": settings.buffer_before // timedelta(minutes=1),
        "buffer_after_minutes": settings.buffer_after // timedelta(minutes=1),
        "session_durations": list(settings.durations),
        "offerings": [
            {"type": o.appointment_type.value, "fee": str(o.fee)} for o in settings.offerings
        ],
        "max_sessions_per_day": settings.max_sessions_per_day,
    }


def session_policy_from_row(row: Row) -> SessionPolicy:
    return SessionPolicy(
        requires_confirmation=row["requires_confirmation"],
        confirmation_timeout=timedelta(minutes=row["confirmation_timeout_minutes"]),
        cancellation_window=timedelta(minutes=row["cancellation_window_minutes"]),
        late_cancellation_fee=row["late_cancellation_fee"],
    )


def session_policy_to_row(policy: SessionPolicy) -> dict[str, Any]:
    return {
        "requires_confirmation": policy.requires_confirmation,
        "confirmation_timeout_minutes": policy.confirmation_timeout // timedelta(minutes=1),
        "cancellation_window_minutes": policy.cancellation_window // timedelta(minutes=1),
        "late_cancellation_fee": policy.late_cancellation_fee,
    }


def patient_from_row(row: Row) -> Patient:
    return Patient(
        id=row["id"],
        subject=row["subject"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        time_zone=row["time_zone"],
    )


def appointment_from_row(row: Row) -> Appointment:
    reason = row["rejection_reason"]
    return Appointment(
        id=row["id"],
        patient_id=row["patient_id"],
        psychologist_id=row["psychologist_id"],
        scheduled_at=row["scheduled_at"],
        duration_minutes=row["duration_minutes"],
        appointment_type=AppointmentType(row["appointment_type"]),
        meeting_type=MeetingType(row["meeting_type"]),
        consultation_fee=row["consultation_fee"],
        status=AppointmentStatus(row["status"]),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        meeting_url=row["meeting_url"],
        notes=row["notes"],
        is_paid=row["is_paid"],
        rejection_reason=RejectionReason(reason) if reason else None,
        cancellation_reason=row["cancellation_reason"],
        request_id=row["request_id"],
        buffer_before_minutes=(row["scheduled_at"] - row["blocked_from"]) // timedelta(minutes=1),
        buffer_after_minutes=(row["blocked_until"] - row["scheduled_at"]) // timedelta(minutes=1)
        - row["duration_minutes"],
        status_note=row["status_note"],
        late_cancellation=row["late_cancellation"],
        cancellation_fee=row["cancellation_fee"],
        awaiting_confirmation_until=row["awaiting_confirmation_until"],
        reschedule_to=row["reschedule_to"],
        series_id=row["series_id"],
        series_index=row["series_index"],
        amount_paid=row["amount_paid"],
    )


def event_from_row(row: Row) -> StatusEvent:
    previous = row["previous_status"]
    return StatusEvent(
        appointment_id=row["appointment_id"],
        version=row["version"],
        status=AppointmentStatus(row["status"]),
        previous_status=AppointmentStatus(previous) if previous else None,
        occurred_at=row["occurred_at"],
        reason=row["reason"],
        request_id=row["request_id"],
        sequence=row["id"],
        kind=EventKind(row["kind"]),
        actor=(
            Actor(ActorRole(row["actor_role"]), row["actor_subject"]) if row["actor_role"] else None
        ),
        note=row["note"],
        previous_scheduled_at=row["previous_scheduled_at"],
        scheduled_at=row["scheduled_at"],
    )


def psychologist_to_row(psychologist: Psychologist, at: datetime) -> dict[str, Any]:
    return {
        "id": psychologist.id,
        "subject": psychologist.subject,
        "name": psychologist.name,
        "email": psychologist.email,
        "specialties": list(psychologist.specialties),
        "time_zone": psychologist.time_zone,
        "working_hours": working_hours_to_json(psychologist.working_hours),
        "default_duration_minutes": psychologist.default_duration_minutes,
        "consultation_fee": psychologist.consultation_fee,
        "active": psychologist.active,
        "languages": list(psychologist.languages),
        "bio": psychologist.bio,
        "created_at": at,
        "updated_at": at,
    }


def patient_to_row(patient: Patient, at: datetime) -> dict[str, Any]:
    return {
        "id": patient.id,
        "subject": patient.subject,
        "name": patient.name,
        "email": patient.email,
        "phone": patient.phone,
        "time_zone": patient.time_zone,
        "created_at": at,
        "updated_at": at,
    }


def appointment_to_row(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id,
        "patient_id": appointment.patient_id,
        "psychologist_id": appointment.psychologist_id,
        "scheduled_at": appointment.scheduled_at,
        "ends_at": appointment.ends_at,
        "duration_minutes": appointment.duration_minutes,
        "appointment_type": appointment.appointment_type.value,
        "meeting_type": appointment.meeting_type.value,
        "meeting_url": appointment.meeting_url,
        "notes": appointment.notes,
        "consultation_fee": appointment.consultation_fee,
        "is_paid": appointment.is_paid,
        "status": appointment.status.value,
        "rejection_reason": appointment.rejection_reason.value
        if appointment.rejection_reason
        else None,
        "cancellation_reason": appointment.cancellation_reason,
        "version": appointment.version,
        "request_id": appointment.request_id,
        "created_at": appointment.created_at,
        "updated_at": appointment.updated_at,
        "blocked_from": appointment.blocked.start,
        "blocked_until": appointment.blocked.end,
        **changing_columns(appointment),
    }


def changing_columns(appointment: Appointment) -> dict[str, Any]:
    """What the life of an appointment changes, beside its status and version."""
    return {
        "scheduled_at": appointment.scheduled_at,
        "ends_at": appointment.ends_at,
        "blocked_from": appointment.blocked.start,
        "blocked_until": appointment.blocked.end,
        "meeting_url": appointment.meeting_url,
        "is_paid": appointment.is_paid,
        "status_note": appointment.status_note,
        "late_cancellation": appointment.late_cancellation,
        "cancellation_fee": appointment.cancellation_fee,
        "awaiting_confirmation_until": appointment.awaiting_confirmation_until,
        "reschedule_to": appointment.reschedule_to,
        "series_id": appointment.series_id,
        "series_index": appointment.series_index,
        "amount_paid": appointment.amount_paid,
    }


def event_to_row(event: StatusEvent) -> dict[str, Any]:
    return {
        "appointment_id": event.appointment_id,
        "version": event.version,
        "status": event.status.value,
        "previous_status": event.previous_status.value if event.previous_status else None,
        "reason": event.reason,
        "request_id": event.request_id,
        "occurred_at": event.occurred_at,
        "kind": event.kind.value,
        "actor_role": event.actor.role.value if event.actor else None,
        "actor_subject": event.actor.subject if event.actor else None,
        "note": event.note,
        "previous_scheduled_at": event.previous_scheduled_at,
        "scheduled_at": event.scheduled_at,
    }
