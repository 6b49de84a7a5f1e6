"""A new time for a session: asked by its patient or an admin, decided by the worker as a
new request would be. The current time stays held until the new one is confirmed; then
the appointment moves (one appointment, its version up, the history showing old and new),
or the new time is refused and nothing else changes."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from application.changes import StatusChange
from application.deciding import rule_on
from application.lifecycle_commands import DecideReschedule, RescheduleAppointment
from application.outcomes import Outcome, Problem
from application.queue_messages import reschedule_wanted
from application.request_items import problem_of
from application.session_base import (
    NOT_FOR_PSYCHOLOGISTS,
    NOT_FOUND,
    SessionUseCase,
    actor_of,
    calendar_of,
    in_state,
)
from application.unit_of_work import Transactions, UnitOfWork
from domain.appointments import SYSTEM, AppointmentStatus, RejectionReason
from domain.errors import SlotTaken
from domain.lifecycle import ask_new_time, keep_time, move, reschedule_problem
from domain.policy import BookingPolicy
from domain.rules import check_request
from domain.schedule import Interval
from domain.viewer import Role

log = logging.getLogger("appointment_api.decisions")
AROUND = timedelta(days=2)
SAME_TIME = Problem("INVALID_INPUT", ("scheduledAt",), "The session is already at that time.")
TOO_LATE_TO_MOVE = Problem(
    "TOO_SOON",
    ("appointmentId",),
    "This session starts too soon to be moved: within the notice or the cancellation window.",
)


class RescheduleAppointmentHandler(SessionUseCase):
    async def __call__(self, command: RescheduleAppointment) -> Outcome:
        if command.viewer.role is Role.PSYCHOLOGIST:
            return Outcome.refused(NOT_FOR_PSYCHOLOGISTS)

        async def work(unit: UnitOfWork, now: datetime) -> Outcome:
            current = await unit.appointments.get(command.appointment_id, visible_to=command.viewer)
            if current is None:
                return Outcome.refused(NOT_FOUND)
            problem = reschedule_problem(current, now=now)
            if problem is not None:
                return Outcome.refused(in_state(problem))
            if command.scheduled_at == current.scheduled_at:
                return Outcome.refused(SAME_TIME)
            calendar = await calendar_of(unit, current, lock=False)
            wanted = Interval(command.scheduled_at - AROUND, command.scheduled_at + AROUND)
            around_new = (await unit.calendars.calendars([calendar.psychologist.id], wanted))[
                calendar.psychologist.id
            ]
            # The notice and the policy hold for the time given up as for the new one.
            in_force = calendar.policy(self._policy)
            given_up_late = calendar.session_policy.is_late(current, now=now) or (
                current.scheduled_at < in_force.earliest_start(now)
            )
            if command.viewer.role is Role.PATIENT and given_up_late:
                return Outcome.refused(TOO_LATE_TO_MOVE)
            violations = check_request(
                calendar=around_new,
                starts_at=command.scheduled_at,
                duration_minutes=current.duration_minutes,
                now=now,
                policy=self._policy,
                appointment_type=current.appointment_type,
            )
            if violations:
                return Outcome.refused(*(problem_of(v) for v in violations))
            changed, event = ask_new_time(
                current,
                command.scheduled_at,
                at=now,
                request_id=command.request_id,
                actor=actor_of(command.viewer),
            )
            change = await unit.appointments.record(changed, event)
            await unit.outbox.add(
                [reschedule_wanted(changed, command.scheduled_at, command.request_id)], at=now
            )
            return Outcome(change.appointment)

        return await self._run(work)


class DecideRescheduleHandler:
    """The worker's decision on a new time, with the psychologist's schedule and the patient
    held as for a new request; None when there is nothing (left) to decide."""

    def __init__(
        self,
        *,
        transactions: Transactions,
        clock: Callable[[], datetime],
        policy: BookingPolicy,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: DecideReschedule) -> StatusChange | None:
        now = self._clock()
        try:
            async with self._transactions() as unit:
                change = await self._decide(unit, command, now)
                await unit.commit()
            return change
        except SlotTaken:
            # Another decision took the time between the re-check and the move.
            pass
        async with self._transactions() as unit:
            current = await unit.appointments.get(command.appointment_id)
            change = None
            if current is not None and current.reschedule_to == command.to:
                change = await unit.appointments.record(
                    *keep_time(
                        current,
                        RejectionReason.SLOT_TAKEN,
                        at=now,
                        request_id=command.request_id,
                        actor=SYSTEM,
                    )
                )
            await unit.commit()
        return change

    async def _decide(
        self, unit: UnitOfWork, command: DecideReschedule, now: datetime
    ) -> StatusChange | None:
        seen = await unit.appointments.get(command.appointment_id, hold=False)
        if seen is None or seen.reschedule_to != command.to:
            return None
        around = Interval(command.to - AROUND, command.to + AROUND)
        calendar = await unit.calendars.lock(seen.psychologist_id, around)
        await unit.people.lock_patient(seen.patient_id)
        current = await unit.appointments.get(command.appointment_id)
        if current is None or current.reschedule_to != command.to or calendar is None:
            return None
        reason = await rule_on(
            unit, calendar, current, command.to, around, now=now, policy=self._policy
        )
        if current.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
            reason = reason or RejectionReason.PSYCHOLOGIST_UNAVAILABLE
        minute = timedelta(minutes=1)
        if reason is None:
            changed, event = move(
                current,
                buffers=(
                    calendar.settings.buffer_before // minute,
                    calendar.settings.buffer_after // minute,
                ),
                at=now,
                request_id=command.request_id,
                actor=SYSTEM,
            )
        else:
            changed, event = keep_time(
                current, reason, at=now, request_id=command.request_id, actor=SYSTEM
            )
        log.info(
            "new time %s",
            "taken" if reason is None else f"refused: {reason.value}",
            extra={"request_id": command.request_id, "appointment_id": str(current.id)},
        )
        return await unit.appointments.record(changed, event)
