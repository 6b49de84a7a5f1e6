"""Mutations of a psychologist's calendar: weekly hours, time off, extra hours, booking
settings. By the psychologist or an admin; each parses, calls one use case, shapes."""

from datetime import timedelta

import strawberry
from strawberry.types import Info

from application.outcomes import Problem
from application.practice_commands import (
    AddExtraHours,
    AddTimeOff,
    RemoveExtraHours,
    RemoveTimeOff,
    SetBookingSettings,
    SetWeeklyHours,
    TimeOffDates,
    TimeOffInstants,
)
from domain.booking_settings import BookingSettings, Offering
from resolvers.context import Context
from resolvers.mutation_input import BadInput, parse_hours, parse_id, user_errors, who
from resolvers.types.calendar_types import (
    BookingSettingsType,
    ExtraHoursType,
    TimeOffType,
    WeeklyHoursType,
)
from resolvers.types.entities import Appointment
from resolvers.types.practice_inputs import (
    AddExtraHoursInput,
    AddTimeOffInput,
    AddTimeOffPayload,
    BookingSettingsPayload,
    ExtraHoursPayload,
    RemoveExtraHoursInput,
    RemoveTimeOffInput,
    SetBookingSettingsInput,
    SetWeeklyHoursInput,
    TimeOffPayload,
    WeeklyHoursPayload,
)
from resolvers.types.psychologist_calendar import around_today


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(description="By the psychologist or an admin.")
    async def set_weekly_hours(
        self, info: Info[Context, None], input: SetWeeklyHoursInput
    ) -> WeeklyHoursPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
            hours = parse_hours(input.hours)
        except BadInput as error:
            return WeeklyHoursPayload(weekly_hours=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.set_weekly_hours(
            SetWeeklyHours(viewer, request_id, key, hours, input.effective_from)
        )
        return WeeklyHoursPayload(
            weekly_hours=WeeklyHoursType.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="By the psychologist or an admin.")
    async def add_time_off(
        self, info: Info[Context, None], input: AddTimeOffInput
    ) -> AddTimeOffPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
            period = _period(input)
        except BadInput as error:
            return AddTimeOffPayload(
                time_off=None, conflicts=[], cancelled=[], user_errors=user_errors([error.problem])
            )
        answer = await info.context.services.use_cases.add_time_off(
            AddTimeOff(
                viewer=viewer,
                request_id=request_id,
                psychologist_id=key,
                period=period,
                reason=input.reason,
                cancel_conflicts=input.cancel_conflicts,
                cancellation_reason=input.cancellation_reason,
            )
        )
        off = answer.time_off
        return AddTimeOffPayload(
            time_off=TimeOffType.from_domain(off, private=True) if off else None,
            conflicts=[Appointment.from_domain(a) for a in answer.conflicts],
            cancelled=[Appointment.from_domain(a) for a in answer.cancelled],
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="By the psychologist or an admin.")
    async def remove_time_off(
        self, info: Info[Context, None], input: RemoveTimeOffInput
    ) -> TimeOffPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
            off_id = parse_id(input.time_off_id, "TimeOff", "timeOffId")
        except BadInput as error:
            return TimeOffPayload(time_off=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.remove_time_off(
            RemoveTimeOff(viewer, request_id, key, off_id)
        )
        return TimeOffPayload(
            time_off=TimeOffType.from_domain(answer.value, private=True) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="By the psychologist or an admin.")
    async def add_extra_hours(
        self, info: Info[Context, None], input: AddExtraHoursInput
    ) -> ExtraHoursPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
        except BadInput as error:
            return ExtraHoursPayload(extra_hours=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.add_extra_hours(
            AddExtraHours(viewer, request_id, key, input.date, input.start_time, input.end_time)
        )
        return ExtraHoursPayload(
            extra_hours=ExtraHoursType.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="By the psychologist or an admin.")
    async def remove_extra_hours(
        self, info: Info[Context, None], input: RemoveExtraHoursInput
    ) -> ExtraHoursPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
            extra_id = parse_id(input.extra_hours_id, "ExtraHours", "extraHoursId")
        except BadInput as error:
            return ExtraHoursPayload(extra_hours=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.remove_extra_hours(
            RemoveExtraHours(viewer, request_id, key, extra_id)
        )
        return ExtraHoursPayload(
            extra_hours=ExtraHoursType.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="By the psychologist or an admin.")
    async def set_booking_settings(
        self, info: Info[Context, None], input: SetBookingSettingsInput
    ) -> BookingSettingsPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
            settings = _settings(input)
        except BadInput as error:
            return BookingSettingsPayload(
                booking_settings=None, user_errors=user_errors([error.problem])
            )
        answer = await info.context.services.use_cases.set_booking_settings(
            SetBookingSettings(viewer, request_id, key, settings)
        )
        if answer.value is None:
            return BookingSettingsPayload(
                booking_settings=None, user_errors=user_errors(answer.problems)
            )
        calendar = await info.context.loaders.calendar.load(
            (key, around_today(info.context.services.clock()))
        )
        shown = (
            BookingSettingsType.from_domain(calendar, info.context.services.policy)
            if calendar
            else None
        )
        return BookingSettingsPayload(booking_settings=shown, user_errors=[])


def _period(input: AddTimeOffInput) -> TimeOffDates | TimeOffInstants:
    starts, ends, first, last = input.starts_at, input.ends_at, input.start_date, input.end_date
    if starts is not None and ends is not None and first is None and last is None:
        return TimeOffInstants(starts, ends)
    if first is not None and last is not None and starts is None and ends is None:
        return TimeOffDates(first, last)
    raise BadInput(
        Problem(
            "INVALID_INPUT",
            ("startsAt",),
            "Give either startsAt and endsAt, or startDate and endDate.",
        )
    )


def _settings(input: SetBookingSettingsInput) -> BookingSettings:
    for name, value in (
        ("bufferBeforeMinutes", input.buffer_before_minutes),
        ("bufferAfterMinutes", input.buffer_after_minutes),
    ):
        if not 0 <= value <= 240:
            raise BadInput(Problem("INVALID_INPUT", (name,), "A buffer lasts 0 to 240 minutes."))
    if input.max_sessions_per_day is not None and input.max_sessions_per_day < 1:
        raise BadInput(
            Problem("INVALID_INPUT", ("maxSessionsPerDay",), "At least one session a day.")
        )
    for name, limit in (
        ("minNoticeMinutes", input.min_notice_minutes),
        ("maxAdvanceDays", input.max_advance_days),
    ):
        if limit is not None and not 0 <= limit <= 1_000_000:
            raise BadInput(Problem("INVALID_INPUT", (name,), "Out of range."))
    return BookingSettings(
        min_notice=None
        if input.min_notice_minutes is None
        else timedelta(minutes=input.min_notice_minutes),
        max_advance=None
        if input.max_advance_days is None
        else timedelta(days=input.max_advance_days),
        buffer_before=timedelta(minutes=input.buffer_before_minutes),
        buffer_after=timedelta(minutes=input.buffer_after_minutes),
        durations=tuple(input.session_durations),
        offerings=tuple(Offering(o.appointment_type, o.fee) for o in input.appointment_types),
        max_sessions_per_day=input.max_sessions_per_day,
    )
