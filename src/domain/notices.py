"""What a status event means to the people and systems told about it: the webhook event
type, and the notice (if any) an email carries. Derived from the event alone, so that any
new kind of change flows through the same way."""

from dataclasses import dataclass
from enum import StrEnum

from domain.appointments import AppointmentStatus, EventKind, StatusEvent

EVENT_TYPE_PREFIX = "appointment."


class Notice(StrEnum):
    """What a person may be emailed about; a psychologist chooses among these."""

    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    RESCHEDULED = "RESCHEDULED"
    CANCELLED = "CANCELLED"
    REMINDER = "REMINDER"


class Recipient(StrEnum):
    PATIENT = "PATIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"


@dataclass(frozen=True, slots=True)
class Party:
    """Someone an email goes to, or is about."""

    name: str
    email: str
    time_zone: str = "UTC"


def event_type(event: StatusEvent) -> str:
    """``appointment.requested``, ``appointment.confirmed``, ... one per status reached; a
    change within a status is named by its kind (``appointment.rescheduled``,
    ``appointment.reschedule_requested``, ``appointment.payment_recorded``, ...), and any
    other change that keeps the status is ``appointment.updated``."""
    if event.kind is not EventKind.STATUS_CHANGED:
        return f"{EVENT_TYPE_PREFIX}{event.kind.value.lower()}"
    if event.previous_status is None:
        return f"{EVENT_TYPE_PREFIX}requested"
    if event.previous_status is event.status:
        return f"{EVENT_TYPE_PREFIX}updated"
    return f"{EVENT_TYPE_PREFIX}{event.status.value.lower()}"


def notice_for(event: StatusEvent) -> Notice | None:
    """The email notice an event is worth, if any: a session confirmed, refused, moved to
    its new time or cancelled. A new time asked for or refused, a hold and a payment leave
    the session where it was, so they are told by webhook only."""
    if event.kind is EventKind.RESCHEDULED:
        return Notice.RESCHEDULED
    if event.kind is not EventKind.STATUS_CHANGED or event.previous_status in (None, event.status):
        return None
    if event.status is AppointmentStatus.CONFIRMED:
        return Notice.CONFIRMED
    if event.status is AppointmentStatus.REJECTED:
        return Notice.REJECTED
    if event.status is AppointmentStatus.CANCELLED:
        return Notice.CANCELLED
    return None


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's choices: whether they get email at all and, for a psychologist, which
    notices. Everyone gets every notice until they choose."""

    email_enabled: bool = True
    notices: frozenset[Notice] = frozenset(Notice)

    def wants(self, notice: Notice) -> bool:
        return self.email_enabled and notice in self.notices


def recipients(notice: Notice, preferences: dict[Recipient, Preferences]) -> list[Recipient]:
    """Who is emailed about ``notice``: the patient and the psychologist, each unless their
    preferences say no. A patient's choice is email on or off: they are told every notice."""
    chosen = []
    for recipient in (Recipient.PATIENT, Recipient.PSYCHOLOGIST):
        wanted = preferences.get(recipient, Preferences())
        if recipient is Recipient.PATIENT:
            wanted = Preferences(email_enabled=wanted.email_enabled)
        if wanted.wants(notice):
            chosen.append(recipient)
    return chosen


REJECTION_WORDS = {
    "SLOT_TAKEN": "the time was taken by another session in the meantime",
    "PATIENT_CONFLICT": "you already have another session at that time",
    "OUTSIDE_WORKING_HOURS": "the psychologist does not work at that time",
    "TOO_SOON": "the session was too soon to be arranged",
    "TOO_FAR_AHEAD": "the session was too far ahead to be booked yet",
    "PSYCHOLOGIST_UNAVAILABLE": "the psychologist is not available then",
    "PROCESSING_FAILED": "your request could not be processed; please try again",
    "DURATION_NOT_OFFERED": "the psychologist does not offer sessions of that length",
    "APPOINTMENT_TYPE_NOT_OFFERED": "the psychologist does not offer that kind of session",
    "DAILY_LIMIT_REACHED": "the psychologist's day is already full",
}


def reason_in_words(reason: str | None) -> str:
    """A rejection reason as a sentence a patient understands."""
    if reason is None:
        return "no reason was given"
    return REJECTION_WORDS.get(reason, reason.replace("_", " ").lower())
