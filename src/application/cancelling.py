"""Cancelling an appointment: by its patient, its psychologist or an admin, before it starts."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from application.commands import CancelAppointment
from application.outcomes import Outcome, Problem
from application.session_base import actor_of, calendar_of
from application.unit_of_work import Transactions, UnitOfWork
from domain.appointments import AppointmentStatus, cancellation_problem
from domain.lifecycle import settled
from domain.requests import MAX_NOTES_LENGTH
from domain.viewer import Role, Viewer

MAX_REASON_LENGTH = MAX_NOTES_LENGTH
NOT_FOUND = Problem("NOT_FOUND", ("appointmentId",), "No such appointment.")
REASON_TOO_LONG = Problem(
    "INVALID_INPUT", ("reason",), f"The reason may have at most {MAX_REASON_LENGTH} characters."
)


class CancelAppointmentHandler:
    def __init__(self, *, transactions: Transactions, clock: Callable[[], datetime]) -> None:
        self._transactions = transactions
        self._clock = clock

    async def __call__(self, command: CancelAppointment) -> Outcome:
        if command.reason is not None and len(command.reason) > MAX_REASON_LENGTH:
            return Outcome.refused(REASON_TOO_LONG)
        async with self._transactions() as unit:
            outcome = await cancel(
                unit,
                command.viewer,
                command.appointment_id,
                reason=command.reason,
                at=self._clock(),
                request_id=command.request_id,
            )
            await unit.commit()
        return outcome


async def cancel(
    unit: UnitOfWork,
    viewer: Viewer,
    appointment_id: UUID,
    *,
    reason: str | None,
    at: datetime,
    request_id: str,
) -> Outcome:
    """Within ``unit``: cancel one appointment the viewer may see, checking its state while
    it is held. A patient's cancellation inside the psychologist's window is late, and
    costs the fee the policy sets (for time kept for them); staff's never is."""
    current = await unit.appointments.get(appointment_id, visible_to=viewer)
    if current is None:
        return Outcome.refused(NOT_FOUND)
    problem = cancellation_problem(current, now=at)
    if problem is not None:
        return Outcome.refused(Problem("INVALID_STATE", ("appointmentId",), problem))
    late = False
    fee = None
    # Late only for time kept for the patient: a confirmed session, or one held for an answer.
    if viewer.role is Role.PATIENT and current.holds_slot:
        policy = (await calendar_of(unit, current, lock=False)).session_policy
        late = policy.is_late(current, now=at)
        fee = policy.late_fee(current) if late else None
    changed, event = current.transition(
        AppointmentStatus.CANCELLED,
        at=at,
        reason=reason,
        request_id=request_id,
        actor=actor_of(viewer),
        note=f"Late cancellation, fee {fee}." if late else None,
    )
    changed = settled(replace(changed, late_cancellation=late, cancellation_fee=fee))
    change = await unit.appointments.record(changed, event)
    return Outcome(change.appointment)
