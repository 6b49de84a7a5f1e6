"""The Psychologist's fields about their calendar: profile extras, weekly hours, time off,
extra hours, booking settings, free slots, and (for staff) the audit of changes."""

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from application.permissions import sees_private_notes
from domain import people
from domain.appointments import AppointmentType
from domain.calendar import Calendar
from domain.schedule import Interval
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode, bad_user_input
from resolvers.pagination import decode_cursor, encode_cursor, parse_text_key
from resolvers.slots import display_zone, free_slots, slot_query
from resolvers.types.calendar_types import (
    BookingSettingsType,
    ExtraHoursType,
    ScheduleChangeConnection,
    ScheduleChangeEdge,
    ScheduleChangeType,
    TimeOffType,
    TimeSlot,
    WeeklyHoursType,
    WorkingHoursRef,
)
from resolvers.types.lifecycle_types import SessionPolicyType
from resolvers.types.node import PageInfo

MAX_LISTING_WINDOW = timedelta(days=366)
CHANGES_ORDERING = "schedule_changes:NEWEST"


def around_today(now: datetime) -> Interval:
    """A window that changes once a day, so a page of psychologists shares one read."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(0), UTC)
    return Interval(midnight - timedelta(days=1), midnight + timedelta(days=2))


def _listing_window(from_: datetime, to: datetime) -> Interval:
    if to <= from_:
        raise bad_user_input("to must be after from.", argument="to")
    if to - from_ > MAX_LISTING_WINDOW:
        raise bad_user_input("The window may span at most 366 days.", argument="to")
    return Interval(from_, to)


@strawberry.type
class PsychologistCalendar:
    domain: strawberry.Private[people.Psychologist]

    async def _calendar(self, info: Info[Context, None], window: Interval) -> Calendar:
        found = await info.context.loaders.calendar.load((self.domain.id, window))
        if found is None:
            raise ClientError("This psychologist no longer exists.", ErrorCode.BAD_USER_INPUT)
        return found

    @strawberry.field
    def bio(self) -> str | None:
        return self.domain.bio

    @strawberry.field(description="Languages the psychologist holds sessions in.")
    def languages(self) -> list[str]:
        return list(self.domain.languages)

    @strawberry.field(description="The weekly template in force today, in their own time zone.")
    async def working_hours(self, info: Info[Context, None]) -> list[WorkingHoursRef]:
        from resolvers.types.entities import WorkingHoursType

        now = info.context.services.clock()
        calendar = await self._calendar(info, around_today(now))
        return [
            WorkingHoursType.from_domain(h) for h in calendar.hours_on(calendar.local_date(now))
        ]

    @strawberry.field(
        description="Every weekly template, oldest first: the profile's own, then each "
        "change from its date on."
    )
    async def weekly_hours(self, info: Info[Context, None]) -> list[WeeklyHoursType]:
        calendar = await self._calendar(info, around_today(info.context.services.clock()))
        return [
            WeeklyHoursType.of(None, self.domain.working_hours),
            *(WeeklyHoursType.from_domain(change) for change in calendar.changes),
        ]

    @strawberry.field
    async def booking_settings(self, info: Info[Context, None]) -> BookingSettingsType:
        calendar = await self._calendar(info, around_today(info.context.services.clock()))
        return BookingSettingsType.from_domain(calendar, info.context.services.policy)

    @strawberry.field(
        description="Whether they confirm each request themselves, and their cancellation "
        "window and late fee."
    )
    async def session_policy(self, info: Info[Context, None]) -> SessionPolicyType:
        calendar = await self._calendar(info, around_today(info.context.services.clock()))
        return SessionPolicyType.from_domain(calendar.session_policy)

    @strawberry.field(description="Time off that meets the window (at most 366 days).")
    async def time_off(
        self,
        info: Info[Context, None],
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[TimeOffType]:
        calendar = await self._calendar(info, _listing_window(from_, to))
        private = sees_private_notes(info.context.require_viewer(), self.domain)
        return [TimeOffType.from_domain(off, private=private) for off in calendar.time_off]

    @strawberry.field(description="Extra hours on the dates the window touches.")
    async def extra_hours(
        self,
        info: Info[Context, None],
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[ExtraHoursType]:
        window = _listing_window(from_, to)
        calendar = await self._calendar(info, window)
        first, last = calendar.local_date(window.start), calendar.local_date(window.end)
        return [
            ExtraHoursType.from_domain(extra)
            for extra in calendar.extra_hours
            if first <= extra.day <= last
        ]

    @strawberry.field(
        description="Bookable start times by the same rules the worker decides by: inside "
        "the hours in force, outside time off, past the notice and within the advance, "
        "clear of every PENDING or CONFIRMED session with the buffers, under the daily "
        "limit. With timeZone, each slot is also told on that zone's wall clock."
    )
    async def available_slots(
        self,
        info: Info[Context, None],
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        duration_minutes: int | None = None,
        step_minutes: Annotated[
            int | None,
            strawberry.argument(description="Spacing of candidate start times; default 15."),
        ] = None,
        appointment_type: Annotated[
            AppointmentType | None,
            strawberry.argument(description="Only slots this type of appointment may take."),
        ] = None,
        time_zone: Annotated[
            str | None,
            strawberry.argument(description="IANA zone for localStartsAt; default: theirs."),
        ] = None,
    ) -> list[TimeSlot]:
        context = info.context
        query = slot_query(
            context.services,
            from_=from_,
            to=to,
            duration_minutes=duration_minutes,
            step_minutes=step_minutes,
            appointment_type=appointment_type,
        )
        zone = display_zone(time_zone, self.domain.time_zone)
        slots = await free_slots(context, self.domain.id, query)
        return [TimeSlot.of(slot, zone) for slot in slots]

    @strawberry.field(
        description="Who changed this schedule, its settings or the profile, when and in "
        "which request; newest first. For the psychologist and admins only."
    )
    async def schedule_changes(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> ScheduleChangeConnection:
        if not sees_private_notes(info.context.require_viewer(), self.domain):
            raise ClientError(
                "Only this psychologist or an admin may read their schedule's changes.",
                ErrorCode.FORBIDDEN,
            )
        if not 0 <= first <= 100:
            raise bad_user_input("first must be between 0 and 100.", argument="first")
        before = None
        if after is not None:
            position, _ = decode_cursor(after, CHANGES_ORDERING, parse_text_key, argument="after")
            if not str(position).isdigit():
                raise bad_user_input("after is not a cursor of this connection.", argument="after")
            before = int(str(position))
        found = await info.context.services.calendars.changes(
            self.domain.id, before=before, limit=first + 1
        )
        kept = found[:first]
        edges = [
            ScheduleChangeEdge(
                cursor=encode_cursor(CHANGES_ORDERING, (str(change.sequence), self.domain.id)),
                node=ScheduleChangeType.from_domain(change),
            )
            for change in kept
        ]
        return ScheduleChangeConnection(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=PageInfo(
                has_next_page=len(found) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
