"""Appointments, their status machine and the events it records."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidTransition
from domain.schedule import Interval


class AppointmentStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"


class AppointmentType(StrEnum):
    CONSULTATION = "CONSULTATION"
    THERAPY_SESSION = "THERAPY_SESSION"
    EMERGENCY = "EMERGENCY"
    FOLLOW_UP = "FOLLOW_UP"


class MeetingType(StrEnum):
    IN_PERSON = "IN_PERSON"
    VIDEO_CALL = "VIDEO_CALL"
    PHONE_CALL = "PHONE_CALL"


class RejectionReason(StrEnum):
    SLOT_TAKEN = "SLOT_TAKEN"
    PATIENT_CONFLICT = "PATIENT_CONFLICT"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    TOO_SOON = "TOO_SOON"
    PSYCHOLOGIST_UNAVAILABLE = "PSYCHOLOGIST_UNAVAILABLE"
    PROCESSING_FAILED = "PROCESSING_FAILED"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    DURATION_NOT_OFFERED = "DURATION_NOT_OFFERED"
    APPOINTMENT_TYPE_NOT_OFFERED = "APPOINTMENT_TYPE_NOT_OFFERED"
    DAILY_LIMIT_REACHED = "DAILY_LIMIT_REACHED"


ALLOWED_TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PENDING: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.REJECTED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.REJECTED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}

# Statuses that hold a slot of the psychologist's time.
BLOCKING_STATUSES = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})


def cancellation_problem(appointment: "Appointment", *, now: datetime) -> str | None:
    """Why this appointment cannot be cancelled now, or None when it can."""
    if not can_transition(appointment.status, AppointmentStatus.CANCELLED):
        return f"A {appointment.status.value} appointment cannot be cancelled."
    if appointment.scheduled_at <= now:
        return "An appointment cannot be cancelled once it has started."
    return None


def can_transition(current: AppointmentStatus, target: AppointmentStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One entry of an appointment's history; ``version`` counts from 1."""

    appointment_id: UUID
    version: int
    status: AppointmentStatus
    previous_status: AppointmentStatus | None
    occurred_at: datetime
    reason: str | None = None
    request_id: str | None = None
    # Position in the global history, assigned by the store when the event is saved.
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class Appointment:
    id: UUID
    patient_id: UUID
    psychologist_id: UUID
    scheduled_at: datetime
    duration_minutes: int
    appointment_type: AppointmentType
    meeting_type: MeetingType
    consultation_fee: Decimal
    status: AppointmentStatus
    version: int
    created_at: datetime
    updated_at: datetime
    meeting_url: str | None = None
    notes: str | None = None
    is_paid: bool = False
    rejection_reason: RejectionReason | None = None
    cancellation_reason: str | None = None
    request_id: str | None = None
    # The psychologist's buffers around the session, as the settings were when it was
    # requested (and again when it was decided): with them it holds ``blocked``.
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)

    @property
    def interval(self) -> Interval:
        return Interval(self.scheduled_at, self.ends_at)

    @property
    def blocked(self) -> Interval:
        return Interval(
            self.scheduled_at - timedelta(minutes=self.buffer_before_minutes),
            self.ends_at + timedelta(minutes=self.buffer_after_minutes),
        )

    def transition(
        self,
        target: AppointmentStatus,
        *,
        at: datetime,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> tuple["Appointment", StatusEvent]:
        """The appointment after the change, and the event that records it."""
        if not can_transition(self.status, target):
            raise InvalidTransition(self.status, target)
        changed = replace(
            self,
            status=target,
            version=self.version + 1,
            updated_at=at,
            rejection_reason=(
                RejectionReason(reason) if target is AppointmentStatus.REJECTED and reason else None
            ),
            cancellation_reason=reason if target is AppointmentStatus.CANCELLED else None,
        )
        event = StatusEvent(
            appointment_id=self.id,
            version=changed.version,
            status=target,
            previous_status=self.status,
            occurred_at=at,
            reason=reason,
            request_id=request_id,
        )
        return changed, event

    def opening_event(self) -> StatusEvent:
        """The first entry of a new request's history."""
        return StatusEvent(
            appointment_id=self.id,
            version=1,
            status=AppointmentStatus.PENDING,
            previous_status=None,
            occurred_at=self.created_at,
            request_id=self.request_id,
        )
