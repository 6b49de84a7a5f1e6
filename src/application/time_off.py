"""Blocking a period of a psychologist's calendar. Sessions it would cover are never
cancelled silently: the answer lists them, and only when asked does each one go through
the cancellation cancelAppointment makes, with its event, in the same transaction."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.calendar_edits import CalendarUseCase, time_off_document
from application.cancelling import MAX_REASON_LENGTH, cancel
from application.outcomes import Problem
from application.permissions import NO_PSYCHOLOGIST, NOT_YOURS, manages
from application.practice_base import audit
from application.practice_commands import AddTimeOff, TimeOffDates
from application.unit_of_work import UnitOfWork
from domain.appointments import Appointment
from domain.calendar import Calendar, TimeOff, all_day
from domain.schedule import Interval

MAX_LENGTH = timedelta(days=366)
BACKWARDS = Problem("INVALID_INPUT", ("period",), "The time off must end after it starts.")
TOO_LONG = Problem("INVALID_INPUT", ("period",), "A time off lasts at most 366 days.")
REASON_TOO_LONG = Problem(
    "INVALID_INPUT", ("reason",), f"The reason may have at most {MAX_REASON_LENGTH} characters."
)
CONFLICTS = Problem(
    "TIME_OFF_CONFLICTS",
    ("period",),
    "Sessions are booked in this period: they are listed in conflicts. Ask again with "
    "cancelConflicts to cancel them, or change the period.",
)


@dataclass(frozen=True, slots=True)
class TimeOffAnswer:
    time_off: TimeOff | None
    # PENDING and CONFIRMED sessions the period covers.
    conflicts: tuple[Appointment, ...] = ()
    # Those cancelled for it, as they are now.
    cancelled: tuple[Appointment, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


class AddTimeOffHandler(CalendarUseCase):
    async def __call__(self, command: AddTimeOff) -> TimeOffAnswer:
        for text in (command.reason, command.cancellation_reason):
            if text is not None and len(text) > MAX_REASON_LENGTH:
                return TimeOffAnswer(None, problems=(REASON_TOO_LONG,))

        async def work(unit: UnitOfWork, now: datetime) -> TimeOffAnswer:
            # The psychologist's calendar is held first, as a decision holds it: a request
            # decided meanwhile is either seen here as a conflict or sees the time off.
            psychologist_id = command.psychologist_id
            calendar = await unit.calendars.lock(psychologist_id, Interval(now, now + MAX_LENGTH))
            if calendar is None:
                return TimeOffAnswer(None, problems=(NO_PSYCHOLOGIST,))
            if not manages(command.viewer, calendar.psychologist):
                return TimeOffAnswer(None, problems=(NOT_YOURS,))
            period = _period(command, calendar)
            if isinstance(period, Problem):
                return TimeOffAnswer(None, problems=(period,))
            conflicts = tuple(await unit.appointments.blocking_during(psychologist_id, period))
            if conflicts and not command.cancel_conflicts:
                return TimeOffAnswer(None, conflicts, problems=(CONFLICTS,))
            cancelled = []
            for appointment in conflicts:
                outcome = await cancel(
                    unit,
                    command.viewer,
                    appointment.id,
                    reason=command.cancellation_reason,
                    at=now,
                    request_id=command.request_id,
                )
                if outcome.appointment is None:
                    return TimeOffAnswer(None, conflicts, problems=outcome.problems)
                cancelled.append(outcome.appointment)
            off = TimeOff(
                self._new_id(), period, command.reason, isinstance(command.period, TimeOffDates)
            )
            await unit.calendars.add_time_off(psychologist_id, off, at=now)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=psychologist_id,
                action="time_off.added",
                at=now,
                details={
                    **time_off_document(off),
                    "cancelled": [str(a.id) for a in cancelled],
                },
            )
            return TimeOffAnswer(off, conflicts, tuple(cancelled))

        return await self._run(work)


def _period(command: AddTimeOff, calendar: Calendar) -> Interval | Problem:
    asked = command.period
    if isinstance(asked, TimeOffDates):
        if asked.last < asked.first:
            return BACKWARDS
        period = all_day(asked.first, asked.last, calendar.zone)
    else:
        if asked.ends_at <= asked.starts_at:
            return BACKWARDS
        period = Interval(asked.starts_at, asked.ends_at)
    return TOO_LONG if period.length > MAX_LENGTH else period
