"""What became of a message, in the words the DecisionObserver port hears."""

from datetime import datetime

from application.changes import StatusChange
from domain.appointments import AppointmentStatus, EventKind

ALREADY_DECIDED = "already_decided"
RETRIED = "retried"
DEAD_LETTERED = "dead_lettered"
UNREADABLE = "unreadable"
# A change's notice handed on to webhooks, emails and reminders.
ANNOUNCED = "announced"


def decided(decision: StatusChange) -> str:
    """``confirmed`` or ``rejected:<reason>``; for a change within the status, its kind
    (``awaiting_confirmation``, ``rescheduled``, ``reschedule_rejected:<reason>``)."""
    appointment = decision.appointment
    kind = decision.event.kind
    if kind is EventKind.RESCHEDULE_REJECTED:
        return f"reschedule_rejected:{decision.event.reason}"
    if kind is not EventKind.STATUS_CHANGED:
        return kind.value.lower()
    if appointment.status is AppointmentStatus.CONFIRMED:
        return "confirmed"
    reason = appointment.rejection_reason.value if appointment.rejection_reason else "unknown"
    return f"{appointment.status.value.lower()}:{reason}"


def since_requested(decision: StatusChange | None, now: datetime) -> float | None:
    # Only a request's own decision says how long a request waited.
    if decision is None or decision.event.kind is not EventKind.STATUS_CHANGED:
        return None
    return max(0.0, (now - decision.appointment.created_at).total_seconds())


class Unobserved:
    """A DecisionObserver for when nobody is counting (the embedded worker)."""

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None:
        return None
