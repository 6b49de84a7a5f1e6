"""What callers ask of a session after its request: answers, a new time, its outcome, a
series, a payment; and what the worker reads from the queue for them."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.appointments import AppointmentStatus
from domain.payments import PaymentKind, PaymentMethod
from domain.requests import AppointmentRequest
from domain.series import Frequency
from domain.viewer import Viewer


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    """COMPLETED or NO_SHOW, once the session has started."""

    viewer: Viewer
    appointment_id: UUID
    outcome: AppointmentStatus
    note: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """The psychologist's answer to a request held for them: confirm, or decline with a reason."""

    viewer: Viewer
    appointment_id: UUID
    confirm: bool
    reason: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class ExpireConfirmation:
    """Queued when a request is held: rejects it if still unanswered when due."""

    appointment_id: UUID
    request_id: str | None


@dataclass(frozen=True, slots=True)
class RescheduleAppointment:
    viewer: Viewer
    appointment_id: UUID
    scheduled_at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class DecideReschedule:
    """The worker's decision on a new time: move the appointment there, or keep it."""

    appointment_id: UUID
    to: datetime
    request_id: str | None


@dataclass(frozen=True, slots=True)
class SetSessionPolicy:
    viewer: Viewer
    psychologist_id: UUID
    requires_confirmation: bool
    confirmation_timeout_minutes: int
    cancellation_window_minutes: int
    late_cancellation_fee: Decimal | None
    request_id: str


@dataclass(frozen=True, slots=True)
class RequestSeries:
    """``template`` is the first session; the others follow it every week or two."""

    viewer: Viewer
    template: AppointmentRequest
    occurrences: int
    frequency: Frequency
    request_id: str


@dataclass(frozen=True, slots=True)
class CancelSeries:
    """Cancel every session of the series from ``from_appointment_id`` on (all when None)."""

    viewer: Viewer
    series_id: UUID
    from_appointment_id: UUID | None
    reason: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class RecordPayment:
    """A payment or a refund staff took; ``reference`` (a receipt, a transaction id) makes it
    idempotent: the same reference again answers the first record."""

    viewer: Viewer
    appointment_id: UUID
    kind: PaymentKind
    amount: Decimal
    method: PaymentMethod
    reference: str
    request_id: str
