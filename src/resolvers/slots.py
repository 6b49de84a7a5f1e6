"""Free slots as the contract asks for them: checked arguments, batched reads (one query for
a page of psychologists), and times also told on a chosen zone's wall clock."""

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.free_slots import SlotQuery
from domain.appointments import AppointmentType
from domain.profiles import known_time_zone
from domain.schedule import Interval
from resolvers.context import Context, Services
from resolvers.errors import bad_user_input

DEFAULT_STEP_MINUTES = 15


def slot_query(
    services: Services,
    *,
    from_: datetime,
    to: datetime,
    duration_minutes: int | None,
    step_minutes: int | None,
    appointment_type: AppointmentType | None,
) -> SlotQuery:
    policy = services.policy
    if duration_minutes is not None and not policy.allows_duration(duration_minutes):
        raise bad_user_input(
            f"durationMinutes must be between {policy.min_duration_minutes} and "
            f"{policy.max_duration_minutes}.",
            argument="durationMinutes",
        )
    step = DEFAULT_STEP_MINUTES if step_minutes is None else step_minutes
    if not 5 <= step <= 240:
        raise bad_user_input("stepMinutes must be between 5 and 240.", argument="stepMinutes")
    if to <= from_:
        raise bad_user_input("to must be after from.", argument="to")
    if to - from_ > timedelta(days=services.max_slot_window_days):
        raise bad_user_input(
            f"The window may span at most {services.max_slot_window_days} days.", argument="to"
        )
    return SlotQuery(Interval(from_, to), duration_minutes, step, appointment_type)


def display_zone(time_zone: str | None, default: str) -> ZoneInfo:
    if time_zone is None:
        return ZoneInfo(default)
    if not known_time_zone(time_zone):
        raise bad_user_input(
            "timeZone is not an IANA time zone name, e.g. America/Sao_Paulo.", argument="timeZone"
        )
    return ZoneInfo(time_zone)


async def free_slots(context: Context, psychologist_id: UUID, query: SlotQuery) -> list[Interval]:
    """Through the operation's loader: a page of psychologists asking for the same slots
    reads them all at once."""
    return await context.loaders.slots.load((psychologist_id, query))
