"""The psychologist's answer to a request held for them, and its expiry when none comes."""

from collections.abc import Callable
from datetime import datetime

from application.changes import StatusChange
from application.lifecycle_commands import AnswerRequest, ExpireConfirmation
from application.meeting_links import with_meeting_link
from application.outcomes import Outcome
from application.queue_messages import expiry_due
from application.session_base import (
    NOT_FOUND,
    STAFF_ONLY,
    SessionUseCase,
    actor_of,
    in_state,
    is_staff,
    note_problem,
)
from application.unit_of_work import Transactions, UnitOfWork
from domain.appointments import (
    SYSTEM,
    Appointment,
    AppointmentStatus,
    RejectionReason,
    StatusEvent,
)
from domain.lifecycle import answer_problem, is_overdue

EXPIRED = in_state("The request expired before this answer.")


class AnswerRequestHandler(SessionUseCase):
    """Confirm or decline; an answer that comes after the deadline finds the request
    expired (and records the expiry if the worker has not yet)."""

    async def __call__(self, command: AnswerRequest) -> Outcome:
        if not is_staff(command.viewer):
            return Outcome.refused(STAFF_ONLY)
        if not command.confirm:
            problem = note_problem(command.reason, "reason", required=True)
            if problem is not None:
                return Outcome.refused(problem)
        now = self._clock()
        async with self._transactions() as unit:
            outcome = await self._answer(unit, command, now)
            if outcome.problems == (EXPIRED,) or not outcome.problems:
                await unit.commit()
        return outcome

    async def _answer(self, unit: UnitOfWork, command: AnswerRequest, now: datetime) -> Outcome:
        current = await unit.appointments.get(command.appointment_id, visible_to=command.viewer)
        if current is None:
            return Outcome.refused(NOT_FOUND)
        problem = answer_problem(current)
        if problem is not None:
            return Outcome.refused(in_state(problem))
        if is_overdue(current, now=now):
            await unit.appointments.record(*_expired(current, now, command.request_id))
            return Outcome.refused(EXPIRED)
        actor = actor_of(command.viewer)
        if command.confirm:
            changed, event = current.transition(
                AppointmentStatus.CONFIRMED, at=now, request_id=command.request_id, actor=actor
            )
            changed = with_meeting_link(changed, self._meetings)
        else:
            changed, event = current.transition(
                AppointmentStatus.REJECTED,
                at=now,
                reason=RejectionReason.DECLINED_BY_PSYCHOLOGIST.value,
                request_id=command.request_id,
                actor=actor,
                note=command.reason,
            )
        change = await unit.appointments.record(changed, event)
        return Outcome(change.appointment)


class ExpireConfirmationHandler:
    """The worker, at the deadline: REJECTED with CONFIRMATION_EXPIRED when still unanswered;
    None when it was answered (or the deadline moved), so the message is simply acked."""

    def __init__(self, *, transactions: Transactions, clock: Callable[[], datetime]) -> None:
        self._transactions = transactions
        self._clock = clock

    async def __call__(self, command: ExpireConfirmation) -> StatusChange | None:
        now = self._clock()
        async with self._transactions() as unit:
            current = await unit.appointments.get(command.appointment_id)
            change = None
            if current is not None and is_overdue(current, now=now):
                change = await unit.appointments.record(*_expired(current, now, command.request_id))
            elif current is not None and current.awaiting_confirmation_until is not None:
                # Delivered early (another process's clock): look again at the deadline.
                until = current.awaiting_confirmation_until
                await unit.outbox.add([expiry_due(current, until, command.request_id)], at=now)
            await unit.commit()
        return change


def _expired(
    current: Appointment, now: datetime, request_id: str | None
) -> tuple[Appointment, StatusEvent]:
    return current.transition(
        AppointmentStatus.REJECTED,
        at=now,
        reason=RejectionReason.CONFIRMATION_EXPIRED.value,
        request_id=request_id,
        actor=SYSTEM,
    )
