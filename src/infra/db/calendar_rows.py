"""Reading psychologists' calendars: profile and settings, dated weekly hours, extra hours and
time off, for many psychologists in one query per table."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.schedule import Interval
from infra.db.rows import (
    psychologist_from_row,
    session_policy_from_row,
    settings_from_row,
    working_hours_from_json,
)
from infra.db.tables import extra_hours, psychologists, time_off, weekly_hours

# Local dates differ from UTC ones by less than a day.
DATE_MARGIN = timedelta(days=1)


async def load_calendars(
    connection: AsyncConnection,
    ids: Sequence[UUID],
    around: Interval,
    *,
    locked: Select[Any] | None = None,
) -> dict[UUID, Calendar]:
    """The calendars of ``ids``, with the time off and extra hours that meet ``around``.
    ``locked``: the psychologists' rows as the caller reads them (e.g. with a lock)."""
    query = locked if locked is not None else select(psychologists)
    rows = (
        (await connection.execute(query.where(psychologists.c.id.in_(list(ids))))).mappings().all()
    )
    if not rows:
        return {}
    found = [row["id"] for row in rows]
    changes = await _weekly(connection, found)
    extras = await _extra(connection, found, around)
    offs = await _time_off(connection, found, around)
    return {
        row["id"]: Calendar(
            psychologist=psychologist_from_row(row),
            changes=tuple(changes.get(row["id"], ())),
            extra_hours=tuple(extras.get(row["id"], ())),
            time_off=tuple(offs.get(row["id"], ())),
            settings=settings_from_row(row),
            session_policy=session_policy_from_row(row),
        )
        for row in rows
    }


async def _weekly(connection: AsyncConnection, ids: list[UUID]) -> dict[UUID, list[WeeklyHours]]:
    query = (
        select(weekly_hours)
        .where(weekly_hours.c.psychologist_id.in_(ids))
        .order_by(weekly_hours.c.effective_from)
    )
    found: dict[UUID, list[WeeklyHours]] = {}
    for row in (await connection.execute(query)).mappings():
        found.setdefault(row["psychologist_id"], []).append(
            WeeklyHours(row["effective_from"], working_hours_from_json(row["hours"]))
        )
    return found


async def _extra(
    connection: AsyncConnection, ids: list[UUID], around: Interval
) -> dict[UUID, list[ExtraHours]]:
    query = select(extra_hours).where(
        extra_hours.c.psychologist_id.in_(ids),
        extra_hours.c.day >= (around.start - DATE_MARGIN).date(),
        extra_hours.c.day <= (around.end + DATE_MARGIN).date(),
    )
    found: dict[UUID, list[ExtraHours]] = {}
    for row in (await connection.execute(query.order_by(extra_hours.c.day))).mappings():
        found.setdefault(row["psychologist_id"], []).append(extra_from_row(row))
    return found


async def _time_off(
    connection: AsyncConnection, ids: list[UUID], around: Interval
) -> dict[UUID, list[TimeOff]]:
    query = select(time_off).where(
        time_off.c.psychologist_id.in_(ids),
        time_off.c.starts_at < around.end,
        time_off.c.ends_at > around.start,
    )
    found: dict[UUID, list[TimeOff]] = {}
    for row in (await connection.execute(query.order_by(time_off.c.starts_at))).mappings():
        found.setdefault(row["psychologist_id"], []).append(time_off_from_row(row))
    return found


def extra_from_row(row: Any) -> ExtraHours:
    return ExtraHours(row["id"], row["day"], row["start_time"], row["end_time"])


def time_off_from_row(row: Any) -> TimeOff:
    return TimeOff(
        id=row["id"],
        period=Interval(row["starts_at"], row["ends_at"]),
        reason=row["reason"],
        all_day=row["all_day"],
    )
