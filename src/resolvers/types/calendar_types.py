"""The calendar as the contract shows it: weekly hours from a date, time off, extra hours,
booking settings, the audit of changes, and free slots told on a zone's wall clock."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Self, cast
from zoneinfo import ZoneInfo

import strawberry
from strawberry.scalars import JSON

import resolvers.types.enums  # noqa: F401 - registers the enums with strawberry
from application.practice_ports import RecordedChange
from domain.appointments import AppointmentType
from domain.booking_settings import BookingSettings
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.policy import BookingPolicy
from domain.schedule import Interval, WorkingHours
from domain.viewer import Role
from resolvers.node_ids import to_global_id
from resolvers.types.node import PageInfo

if TYPE_CHECKING:
    from resolvers.types.entities import WorkingHoursType

WorkingHoursRef = Annotated["WorkingHoursType", strawberry.lazy("resolvers.types.entities")]


@strawberry.type(
    name="WeeklyHours",
    description="A weekly template, in force from effectiveFrom (a date in the "
    "psychologist's zone) until the next one. effectiveFrom null: the profile's own hours, "
    "in force before any dated change.",
)
class WeeklyHoursType:
    effective_from: date | None
    hours: list[WorkingHoursRef]

    @classmethod
    def of(cls, effective_from: date | None, weekly: tuple[WorkingHours, ...]) -> Self:
        from resolvers.types.entities import WorkingHoursType

        return cls(
            effective_from=effective_from,
            hours=[WorkingHoursType.from_domain(h) for h in weekly],
        )

    @classmethod
    def from_domain(cls, weekly: WeeklyHours) -> Self:
        return cls.of(weekly.effective_from, weekly.hours)


@strawberry.type(name="TimeOff")
class TimeOffType:
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    reason: str | None = strawberry.field(
        description="Shown to the psychologist and admins only; null for anyone else."
    )

    @classmethod
    def from_domain(cls, off: TimeOff, *, private: bool) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("TimeOff", off.id)),
            starts_at=off.period.start,
            ends_at=off.period.end,
            all_day=off.all_day,
            reason=off.reason if private else None,
        )


@strawberry.type(
    name="ExtraHours", description="Hours added on one date, in the psychologist's zone."
)
class ExtraHoursType:
    id: strawberry.ID
    date: date
    start_time: str
    end_time: str

    @classmethod
    def from_domain(cls, extra: ExtraHours) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("ExtraHours", extra.id)),
            date=extra.day,
            start_time=extra.start.isoformat("minutes"),
            end_time=extra.end.isoformat("minutes"),
        )


@strawberry.type(name="AppointmentTypeFee")
class AppointmentTypeFee:
    appointment_type: AppointmentType
    fee: Decimal


@strawberry.type(
    name="BookingSettings",
    description="The rules this psychologist books by, with the practice's defaults filled in.",
)
class BookingSettingsType:
    min_notice_minutes: int
    max_advance_days: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    session_durations: list[int] = strawberry.field(
        description="The durations offered; empty: any the practice allows."
    )
    appointment_types: list[AppointmentTypeFee] = strawberry.field(
        description="The types offered, each with its fee; empty: every type at the "
        "consultation fee."
    )
    max_sessions_per_day: int | None
    uses_practice_notice: bool
    uses_practice_advance: bool

    @classmethod
    def from_domain(cls, calendar: Calendar, practice: BookingPolicy) -> Self:
        settings: BookingSettings = calendar.settings
        in_force = calendar.policy(practice)
        minute = timedelta(minutes=1)
        return cls(
            min_notice_minutes=in_force.min_notice // minute,
            max_advance_days=in_force.max_advance // timedelta(days=1),
            buffer_before_minutes=settings.buffer_before // minute,
            buffer_after_minutes=settings.buffer_after // minute,
            session_durations=list(settings.durations),
            appointment_types=[
                AppointmentTypeFee(appointment_type=o.appointment_type, fee=o.fee)
                for o in settings.offerings
            ],
            max_sessions_per_day=settings.max_sessions_per_day,
            uses_practice_notice=settings.min_notice is None,
            uses_practice_advance=settings.max_advance is None,
        )


@strawberry.type(name="ScheduleChange", description="Who changed a schedule, when, and how.")
class ScheduleChangeType:
    occurred_at: datetime
    action: str = strawberry.field(
        description="e.g. weekly_hours.set, time_off.added, booking_settings.set, "
        "psychologist.updated."
    )
    actor_role: Role
    actor_subject: str
    request_id: strawberry.ID | None
    details: JSON

    @classmethod
    def from_domain(cls, change: RecordedChange) -> Self:
        return cls(
            occurred_at=change.occurred_at,
            action=change.action,
            actor_role=change.actor_role,
            actor_subject=change.actor_subject,
            request_id=strawberry.ID(change.request_id) if change.request_id else None,
            details=cast(JSON, change.details),
        )


@strawberry.type(name="ScheduleChangeEdge")
class ScheduleChangeEdge:
    cursor: str
    node: ScheduleChangeType


@strawberry.type(name="ScheduleChangeConnection", description="Newest first.")
class ScheduleChangeConnection:
    edges: list[ScheduleChangeEdge]
    nodes: list[ScheduleChangeType]
    page_info: PageInfo


@strawberry.type(name="TimeSlot")
class TimeSlot:
    starts_at: datetime
    ends_at: datetime
    time_zone: str = strawberry.field(
        description="The zone localStartsAt and localEndsAt are told in: the one asked "
        "for, else the psychologist's."
    )
    local_starts_at: str = strawberry.field(
        description="The wall clock in timeZone, ISO 8601 with its offset, "
        "e.g. 2030-03-06T09:00:00-03:00."
    )
    local_ends_at: str

    @classmethod
    def of(cls, slot: Interval, zone: ZoneInfo) -> Self:
        return cls(
            starts_at=slot.start,
            ends_at=slot.end,
            time_zone=zone.key,
            local_starts_at=slot.start.astimezone(zone).isoformat(),
            local_ends_at=slot.end.astimezone(zone).isoformat(),
        )
