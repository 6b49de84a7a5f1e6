"""The life of a session after its request: the psychologist's answer, a new time, the
session happening or not, a late cancellation, and what is owed and paid.

Pure functions of their arguments; the clock comes in as ``now``.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from domain.appointments import (
    Actor,
    Appointment,
    AppointmentStatus,
    EventKind,
    RejectionReason,
    StatusEvent,
)
from domain.requests import InputProblem

MAX_NOTE_LENGTH = 2000
MAX_CONFIRMATION_TIMEOUT = timedelta(days=7)
MIN_CONFIRMATION_TIMEOUT = timedelta(minutes=5)
MAX_CANCELLATION_WINDOW = timedelta(days=14)
MAX_LATE_FEE = Decimal("100000.00")


# --- a psychologist's session policy: one set of bounds, for a policy made or asked for ---


def confirmation_timeout_allowed(timeout: timedelta) -> bool:
    return MIN_CONFIRMATION_TIMEOUT <= timeout <= MAX_CONFIRMATION_TIMEOUT


def cancellation_window_allowed(window: timedelta) -> bool:
    return timedelta(0) <= window <= MAX_CANCELLATION_WINDOW


def late_fee_allowed(fee: Decimal | None) -> bool:
    """No fee (the session's own), or one from 0 to the most a fee may be."""
    return fee is None or Decimal(0) <= fee <= MAX_LATE_FEE


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """A psychologist's rules for the sessions once requested.

    ``requires_confirmation``: the worker only holds a request that passes the rules, and
    the psychologist confirms or declines it within ``confirmation_timeout``.
    ``cancellation_window``: a patient's cancellation closer than this to the start is
    late, and costs ``late_cancellation_fee`` (the session's own fee when None).
    """

    requires_confirmation: bool = False
    confirmation_timeout: timedelta = timedelta(hours=24)
    cancellation_window: timedelta = timedelta(0)
    late_cancellation_fee: Decimal | None = None

    def __post_init__(self) -> None:
        if not confirmation_timeout_allowed(self.confirmation_timeout):
            raise ValueError("a confirmation timeout lasts from 5 minutes to 7 days")
        if not cancellation_window_allowed(self.cancellation_window):
            raise ValueError("a cancellation window lasts from 0 to 14 days")
        if not late_fee_allowed(self.late_cancellation_fee):
            raise ValueError("a late cancellation fee is 0 or more")

    def late_fee(self, appointment: Appointment) -> Decimal:
        fee = self.late_cancellation_fee
        return appointment.consultation_fee if fee is None else fee

    def is_late(self, appointment: Appointment, *, now: datetime) -> bool:
        """Whether cancelling (or moving) now falls inside the window before the start."""
        window = self.cancellation_window
        return window > timedelta(0) and appointment.scheduled_at - now < window


def check_session_policy(
    *,
    confirmation_timeout_minutes: int,
    cancellation_window_minutes: int,
    late_cancellation_fee: Decimal | None,
) -> list[InputProblem]:
    found = []
    if not confirmation_timeout_allowed(timedelta(minutes=confirmation_timeout_minutes)):
        found.append(
            InputProblem(("confirmationTimeoutMinutes",), "From 5 minutes to 7 days (10080).")
        )
    if not cancellation_window_allowed(timedelta(minutes=cancellation_window_minutes)):
        found.append(InputProblem(("cancellationWindowMinutes",), "From 0 to 14 days (20160)."))
    fee = late_cancellation_fee
    # Asked for, a fee is also a finite amount in cents.
    if fee is not None and not (
        fee.is_finite() and late_fee_allowed(fee) and fee == fee.quantize(Decimal("0.01"))
    ):
        found.append(
            InputProblem(("lateCancellationFee",), "A fee is 0 or more, with at most two decimals.")
        )
    return found


# --- where each change of a session's life may start -------------------------------------

# The statuses each change starts from.
MARKABLE = frozenset({AppointmentStatus.CONFIRMED})
ANSWERABLE = frozenset({AppointmentStatus.PENDING})
MOVABLE = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})


def status_problem(
    appointment: Appointment, starts_from: frozenset[AppointmentStatus], refusal: str
) -> str | None:
    """``A <STATUS> appointment <refusal>.`` unless the change ``starts_from`` its status."""
    if appointment.status in starts_from:
        return None
    return f"A {appointment.status.value} appointment {refusal}."


def has_started(appointment: Appointment, *, now: datetime) -> bool:
    """From its start on, a session may be marked and no longer moved."""
    return appointment.scheduled_at <= now


# --- finishing a session ----------------------------------------------------------------


def outcome_problem(appointment: Appointment, *, now: datetime) -> tuple[str, str] | None:
    """Why the session cannot be marked COMPLETED or NO_SHOW now: (code, message)."""
    problem = status_problem(appointment, MARKABLE, "cannot be marked")
    if problem is not None:
        return "INVALID_STATE", problem
    if not has_started(appointment, now=now):
        return "NOT_STARTED", "A session can be marked only once it has started."
    return None


# --- the psychologist's answer ----------------------------------------------------------


def hold(
    appointment: Appointment, *, until: datetime, at: datetime, request_id: str | None, actor: Actor
) -> tuple[Appointment, StatusEvent]:
    """A PENDING request that passed the rules keeps its time until the answer, or ``until``."""
    if appointment.status is not AppointmentStatus.PENDING:
        raise ValueError("only a PENDING request is held")
    return appointment.step(
        replace(appointment, awaiting_confirmation_until=until),
        EventKind.AWAITING_CONFIRMATION,
        at=at,
        request_id=request_id,
        actor=actor,
    )


def answer_problem(appointment: Appointment) -> str | None:
    """Why the psychologist cannot confirm or decline this request."""
    problem = status_problem(appointment, ANSWERABLE, "is not waiting for an answer")
    if problem is not None:
        return problem
    if appointment.awaiting_confirmation_until is None:
        return "This request is not waiting for the psychologist's answer."
    return None


def is_overdue(appointment: Appointment, *, now: datetime) -> bool:
    until = appointment.awaiting_confirmation_until
    return appointment.status is AppointmentStatus.PENDING and until is not None and until <= now


# --- a new time -------------------------------------------------------------------------


def reschedule_problem(appointment: Appointment, *, now: datetime) -> str | None:
    problem = status_problem(appointment, MOVABLE, "cannot be moved")
    if problem is not None:
        return problem
    if has_started(appointment, now=now):
        return "A session cannot be moved once it has started."
    if appointment.reschedule_to is not None:
        return "A new time is already waiting for a decision."
    return None


def ask_new_time(
    appointment: Appointment,
    to: datetime,
    *,
    at: datetime,
    request_id: str | None,
    actor: Actor,
) -> tuple[Appointment, StatusEvent]:
    changed = replace(appointment, reschedule_to=to)
    kind = EventKind.RESCHEDULE_REQUESTED
    return _new_time_step(appointment, changed, kind, to, at=at, request_id=request_id, actor=actor)


def move(
    appointment: Appointment,
    *,
    buffers: tuple[int, int],
    at: datetime,
    request_id: str | None,
    actor: Actor,
) -> tuple[Appointment, StatusEvent]:
    """The appointment at the time asked for, with the buffers now in force."""
    to = appointment.reschedule_to
    if to is None:
        raise ValueError("no new time was asked for")
    moved = replace(
        appointment,
        scheduled_at=to,
        reschedule_to=None,
        buffer_before_minutes=buffers[0],
        buffer_after_minutes=buffers[1],
    )
    kind = EventKind.RESCHEDULED
    return _new_time_step(appointment, moved, kind, to, at=at, request_id=request_id, actor=actor)


def keep_time(
    appointment: Appointment,
    reason: RejectionReason,
    *,
    at: datetime,
    request_id: str | None,
    actor: Actor,
) -> tuple[Appointment, StatusEvent]:
    """The new time is refused: the appointment stays as it was."""
    changed, to = replace(appointment, reschedule_to=None), appointment.reschedule_to
    kind = EventKind.RESCHEDULE_REJECTED
    return _new_time_step(
        appointment, changed, kind, to, at=at, request_id=request_id, actor=actor, reason=reason
    )


def _new_time_step(
    appointment: Appointment,
    changed: Appointment,
    kind: EventKind,
    to: datetime | None,
    *,
    at: datetime,
    request_id: str | None,
    actor: Actor,
    reason: RejectionReason | None = None,
) -> tuple[Appointment, StatusEvent]:
    """A step in the story of a new time: its event names the time the session had and the
    time asked for."""
    return appointment.step(
        changed,
        kind,
        at=at,
        request_id=request_id,
        actor=actor,
        reason=None if reason is None else reason.value,
        previous_scheduled_at=appointment.scheduled_at,
        scheduled_at=to,
    )


# --- money ------------------------------------------------------------------------------


def paid(appointment: Appointment, amount_paid: Decimal) -> bool:
    due = appointment.amount_due
    return due > 0 and amount_paid >= due


def with_payment(
    appointment: Appointment,
    amount: Decimal,
    *,
    refund: bool,
    at: datetime,
    request_id: str | None,
    actor: Actor,
    reference: str,
) -> tuple[Appointment, StatusEvent]:
    total = appointment.amount_paid - amount if refund else appointment.amount_paid + amount
    return appointment.step(
        replace(appointment, amount_paid=total, is_paid=paid(appointment, total)),
        EventKind.REFUND_RECORDED if refund else EventKind.PAYMENT_RECORDED,
        at=at,
        request_id=request_id,
        actor=actor,
        note=reference,
    )


def settled(appointment: Appointment) -> Appointment:
    """``is_paid`` as the amount now due says (a cancellation changes what is due)."""
    return replace(appointment, is_paid=paid(appointment, appointment.amount_paid))
