"""Changing a psychologist's calendar: weekly hours from a date on, extra hours on a date,
booking settings, removing time off. By the psychologist or an admin; every change audited."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from application.outcomes import Answer, Problem, problems_of
from application.permissions import NO_PSYCHOLOGIST, NOT_YOURS, manages
from application.practice_base import PracticeUseCase, audit
from application.practice_commands import (
    AddExtraHours,
    RemoveExtraHours,
    RemoveTimeOff,
    SetBookingSettings,
    SetWeeklyHours,
)
from application.unit_of_work import UnitOfWork
from domain.booking_settings import BookingSettings
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.profiles import check_settings, check_weekly_hours
from domain.schedule import Interval, WorkingHours
from domain.viewer import Viewer

T = TypeVar("T")
# Calendars are read around the moment of the change, for the rules that need today.
TODAY = timedelta(days=2)
IN_THE_PAST = Problem(
    "INVALID_INPUT", ("effectiveFrom",), "A change applies from today or a later date."
)
EXTRA_IN_THE_PAST = Problem("INVALID_INPUT", ("date",), "Extra hours are for today or later.")
EXTRA_HOURS_ORDER = Problem("INVALID_INPUT", ("endTime",), "The hours must end after they start.")
NO_TIME_OFF = Problem("NOT_FOUND", ("timeOffId",), "No such time off of this psychologist.")
NO_EXTRA_HOURS = Problem(
    "NOT_FOUND", ("extraHoursId",), "No such extra hours of this psychologist."
)


class CalendarUseCase(PracticeUseCase):
    async def _on_calendar(
        self,
        viewer: Viewer,
        psychologist_id: UUID,
        change: Callable[[UnitOfWork, Calendar, datetime], Awaitable[Answer[T]]],
    ) -> Answer[T]:
        """``change`` on the calendar held for this unit of work, when the viewer manages it."""

        async def work(unit: UnitOfWork, now: datetime) -> Answer[T]:
            calendar = await unit.calendars.lock(
                psychologist_id, Interval(now - TODAY, now + TODAY)
            )
            if calendar is None:
                return Answer.refused(NO_PSYCHOLOGIST)
            if not manages(viewer, calendar.psychologist):
                return Answer.refused(NOT_YOURS)
            return await change(unit, calendar, now)

        return await self._run(work)


class SetWeeklyHoursHandler(CalendarUseCase):
    async def __call__(self, command: SetWeeklyHours) -> Answer[WeeklyHours]:
        problems = problems_of(check_weekly_hours(command.hours))
        if problems:
            return Answer.refused(*problems)

        async def change(
            unit: UnitOfWork, calendar: Calendar, now: datetime
        ) -> Answer[WeeklyHours]:
            today = calendar.local_date(now)
            starting = command.effective_from or today
            if starting < today:
                return Answer.refused(IN_THE_PAST)
            weekly = WeeklyHours(starting, command.hours)
            await unit.calendars.set_weekly_hours(command.psychologist_id, weekly, at=now)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="weekly_hours.set",
                at=now,
                details={
                    "effectiveFrom": starting.isoformat(),
                    "hours": hours_document(command.hours),
                },
            )
            return Answer(weekly)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


class AddExtraHoursHandler(CalendarUseCase):
    async def __call__(self, command: AddExtraHours) -> Answer[ExtraHours]:
        if command.end <= command.start:
            return Answer.refused(EXTRA_HOURS_ORDER)

        async def change(unit: UnitOfWork, calendar: Calendar, now: datetime) -> Answer[ExtraHours]:
            if command.day < calendar.local_date(now):
                return Answer.refused(EXTRA_IN_THE_PAST)
            extra = ExtraHours(self._new_id(), command.day, command.start, command.end)
            await unit.calendars.add_extra_hours(command.psychologist_id, extra, at=now)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="extra_hours.added",
                at=now,
                details=_extra_document(extra),
            )
            return Answer(extra)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


class RemoveExtraHoursHandler(CalendarUseCase):
    async def __call__(self, command: RemoveExtraHours) -> Answer[ExtraHours]:
        async def change(unit: UnitOfWork, calendar: Calendar, now: datetime) -> Answer[ExtraHours]:
            removed = await unit.calendars.remove_extra_hours(
                command.psychologist_id, command.extra_hours_id
            )
            if removed is None:
                return Answer.refused(NO_EXTRA_HOURS)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="extra_hours.removed",
                at=now,
                details=_extra_document(removed),
            )
            return Answer(removed)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


class RemoveTimeOffHandler(CalendarUseCase):
    async def __call__(self, command: RemoveTimeOff) -> Answer[TimeOff]:
        async def change(unit: UnitOfWork, calendar: Calendar, now: datetime) -> Answer[TimeOff]:
            removed = await unit.calendars.remove_time_off(
                command.psychologist_id, command.time_off_id
            )
            if removed is None:
                return Answer.refused(NO_TIME_OFF)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="time_off.removed",
                at=now,
                details=time_off_document(removed),
            )
            return Answer(removed)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


class SetBookingSettingsHandler(CalendarUseCase):
    async def __call__(self, command: SetBookingSettings) -> Answer[BookingSettings]:
        problems = problems_of(check_settings(command.settings, self._policy))
        if problems:
            return Answer.refused(*problems)

        async def change(
            unit: UnitOfWork, calendar: Calendar, now: datetime
        ) -> Answer[BookingSettings]:
            await unit.calendars.set_settings(command.psychologist_id, command.settings, at=now)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="booking_settings.set",
                at=now,
                details={
                    "from": settings_document(calendar.settings),
                    "to": settings_document(command.settings),
                },
            )
            return Answer(command.settings)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


def hours_document(hours: tuple[WorkingHours, ...]) -> list[dict[str, str]]:
    return [
        {
            "weekday": h.weekday.name,
            "start": h.start.isoformat("minutes"),
            "end": h.end.isoformat("minutes"),
        }
        for h in hours
    ]


def time_off_document(off: TimeOff) -> dict[str, Any]:
    return {
        "id": str(off.id),
        "startsAt": off.period.start.isoformat(),
        "endsAt": off.period.end.isoformat(),
        "allDay": off.all_day,
        "reason": off.reason,
    }


def settings_document(settings: BookingSettings) -> dict[str, Any]:
    minute = timedelta(minutes=1)
    return {
        "minNoticeMinutes": None if settings.min_notice is None else settings.min_notice // minute,
        "maxAdvanceDays": None if settings.max_advance is None else settings.max_advance.days,
        "bufferBeforeMinutes": settings.buffer_before // minute,
        "bufferAfterMinutes": settings.buffer_after // minute,
        "sessionDurations": list(settings.durations),
        "appointmentTypes": [
            {"appointmentType": o.appointment_type.value, "fee": str(o.fee)}
            for o in settings.offerings
        ],
        "maxSessionsPerDay": settings.max_sessions_per_day,
    }


def _extra_document(extra: ExtraHours) -> dict[str, Any]:
    return {
        "id": str(extra.id),
        "date": extra.day.isoformat(),
        "startTime": extra.start.isoformat("minutes"),
        "endTime": extra.end.isoformat("minutes"),
    }
