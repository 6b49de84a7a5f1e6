"""Marking a session that has started: COMPLETED or NO_SHOW, by its psychologist or an admin."""

from datetime import datetime

from application.lifecycle_commands import MarkOutcome
from application.outcomes import Outcome
from application.session_base import (
    NOT_FOUND,
    STAFF_ONLY,
    SessionUseCase,
    actor_of,
    in_state,
    is_staff,
    note_problem,
)
from application.unit_of_work import UnitOfWork
from domain.appointments import AppointmentStatus
from domain.lifecycle import outcome_problem

OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


class MarkOutcomeHandler(SessionUseCase):
    async def __call__(self, command: MarkOutcome) -> Outcome:
        if command.outcome not in OUTCOMES:
            raise ValueError(f"not an outcome: {command.outcome}")
        if not is_staff(command.viewer):
            return Outcome.refused(STAFF_ONLY)
        problem = note_problem(command.note, "note")
        if problem is not None:
            return Outcome.refused(problem)

        async def work(unit: UnitOfWork, now: datetime) -> Outcome:
            current = await unit.appointments.get(command.appointment_id, visible_to=command.viewer)
            if current is None:
                return Outcome.refused(NOT_FOUND)
            found = outcome_problem(current, now=now)
            if found is not None:
                return Outcome.refused(in_state(found[1], found[0]))
            changed, event = current.transition(
                command.outcome,
                at=now,
                request_id=command.request_id,
                actor=actor_of(command.viewer),
                note=command.note,
            )
            change = await unit.appointments.record(changed, event)
            return Outcome(change.appointment)

        return await self._run(work)
