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
    # The psychologist declined a request they confirm themselves (their note says why).
    DECLINED_BY_PSYCHOLOGIST = "DECLINED_BY_PSYCHOLOGIST"
    # The psychologist did not answer a request they confirm themselves in time.
    CONFIRMATION_EXPIRED = "CONFIRMATION_EXPIRED"


class EventKind(StrEnum):
    """What an entry of the history records: a change of status, or a change the
    appointment went through in its status."""

    STATUS_CHANGED = "STATUS_CHANGED"
    # The request passed the rules and holds its time until the psychologist answers.
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED"
    RESCHEDULED = "RESCHEDULED"
    RESCHEDULE_REJECTED = "RESCHEDULE_REJECTED"
    PAYMENT_RECORDED = "PAYMENT_RECORDED"
    REFUND_RECORDED = "REFUND_RECORDED"


class ActorRole(StrEnum):
    PATIENT = "PATIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"
    ADMIN = "ADMIN"
    # The worker, deciding on the practice's rules.
    SYSTEM = "SYSTEM"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a role and the subject of their token."""

    role: ActorRole
    subject: str


SYSTEM = Actor(ActorRole.SYSTEM, "worker")


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
    kind: EventKind = EventKind.STATUS_CHANGED
    actor: Actor | None = None
    # The note given with a decline, a completion or a no-show.
    note: str | None = None
    # For a time change (requested, done or refused): the time before and the time asked.
    previous_scheduled_at: datetime | None = None
    scheduled_at: datetime | None = None


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
    # Set on COMPLETED, NO_SHOW and a declined request: what the psychologist noted.
    status_note: str | None = None
    # A patient's cancellation inside the psychologist's window, and the fee it costs.
    late_cancellation: bool = False
    cancellation_fee: Decimal | None = None
    # A PENDING request that passed the rules and holds its time until the psychologist
    # answers, or until this instant, when it expires.
    awaiting_confirmation_until: datetime | None = None
    # A new time asked for, waiting for the worker; the current time stays held meanwhile.
    reschedule_to: datetime | None = None
    series_id: UUID | None = None
    series_index: int | None = None
    amount_paid: Decimal = Decimal("0.00")

    @property
    def holds_slot(self) -> bool:
        """Whether its time is kept from everyone else: CONFIRMED, or held for an answer."""
        return self.status is AppointmentStatus.CONFIRMED or (
            self.status is AppointmentStatus.PENDING
            and self.awaiting_confirmation_until is not None
        )

    @property
    def amount_due(self) -> Decimal:
        """What the session costs: its fee, a late cancellation's fee, or nothing."""
        if self.status is AppointmentStatus.CANCELLED:
            late = self.late_cancellation and self.cancellation_fee is not None
            return self.cancellation_fee if late and self.cancellation_fee else Decimal("0.00")
        if self.status is AppointmentStatus.REJECTED:
            return Decimal("0.00")
        return self.consultation_fee

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
        actor: Actor | None = None,
        note: str | None = None,
    ) -> tuple["Appointment", StatusEvent]:
        """The appointment after the change, and the event that records it. Leaving
        PENDING ends a hold; a terminal status drops a time change still asked for."""
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
            status_note=note if note is not None else self.status_note,
            awaiting_confirmation_until=None,
            reschedule_to=None if not ALLOWED_TRANSITIONS[target] else self.reschedule_to,
        )
        return changed, self._event(changed, target, at, reason, request_id, actor, note=note)

    def step(
        self,
        changed: "Appointment",
        kind: EventKind,
        *,
        at: datetime,
        request_id: str | None,
        actor: Actor | None,
        reason: str | None = None,
        note: str | None = None,
        previous_scheduled_at: datetime | None = None,
        scheduled_at: datetime | None = None,
    ) -> tuple["Appointment", StatusEvent]:
        """``changed`` (this appointment with other fields, in the same status) as the next
        step of its history, recorded as ``kind``."""
        if changed.status is not self.status or changed.id != self.id:
            raise ValueError("a step keeps the appointment and its status")
        bumped = replace(changed, version=self.version + 1, updated_at=at)
        event = self._event(
            bumped,
            self.status,
            at,
            reason,
            request_id,
            actor,
            kind=kind,
            note=note,
            previous_scheduled_at=previous_scheduled_at,
            scheduled_at=scheduled_at,
        )
        return bumped, event

    def _event(
        self,
        changed: "Appointment",
        target: AppointmentStatus,
        at: datetime,
        reason: str | None,
        request_id: str | None,
        actor: Actor | None,
        *,
        kind: EventKind = EventKind.STATUS_CHANGED,
        note: str | None = None,
        previous_scheduled_at: datetime | None = None,
        scheduled_at: datetime | None = None,
    ) -> StatusEvent:
        return StatusEvent(
            appointment_id=self.id,
            version=changed.version,
            status=target,
            previous_status=self.status,
            occurred_at=at,
            reason=reason,
            request_id=request_id,
            kind=kind,
            actor=actor,
            note=note,
            previous_scheduled_at=previous_scheduled_at,
            scheduled_at=scheduled_at,
        )

    def opening_event(self, actor: Actor | None = None) -> StatusEvent:
        """The first entry of a new request's history."""
        return StatusEvent(
            appointment_id=self.id,
            version=1,
            status=AppointmentStatus.PENDING,
            previous_status=None,
            occurred_at=self.created_at,
            request_id=self.request_id,
            actor=actor,
            scheduled_at=self.scheduled_at,
        )
