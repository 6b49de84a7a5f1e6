"""The demo world's calendars: languages and bios, booking settings, a change of weekly
hours, extra hours, time off where no session is booked, and the audit of those changes,
all placed relative to the clock the world is seeded at."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.appointments import BLOCKING_STATUSES, Appointment, AppointmentType
from domain.booking_settings import BookingSettings, Offering
from domain.calendar import all_day
from domain.people import Patient, Psychologist
from domain.schedule import Interval, Weekday, WorkingHours
from infra.db.rows import settings_to_row, working_hours_to_json
from infra.db.tables import (
    extra_hours,
    psychologists,
    schedule_changes,
    time_off,
    weekly_hours,
)

NAMESPACE = UUID("6d1c2a8e-8b1f-4c35-9a57-3f1f4e0b6c21")
LANGUAGES = (("pt", "en"), ("en", "es"), ("pt", "es", "en"))
BIO = "Clinical psychologist; {years} years of practice with adults and adolescents."
# Chosen so that hour-long grids of 50-minute sessions stay bookable as before: a fee per
# type, a daily limit no working day reaches, a buffer the hour's last 10 minutes absorb.
SETTINGS = (
    BookingSettings(
        offerings=(
            Offering(AppointmentType.CONSULTATION, Decimal("150.00")),
            Offering(AppointmentType.THERAPY_SESSION, Decimal("180.00")),
            Offering(AppointmentType.EMERGENCY, Decimal("220.00")),
            Offering(AppointmentType.FOLLOW_UP, Decimal("120.00")),
        ),
    ),
    BookingSettings(max_sessions_per_day=8),
    BookingSettings(buffer_before=timedelta(minutes=10)),
)
SEED_ADMIN = "admin-1"


def with_profiles(people: Sequence[Psychologist]) -> list[Psychologist]:
    return [
        replace(p, languages=LANGUAGES[n % len(LANGUAGES)], bio=BIO.format(years=5 + 3 * n))
        for n, p in enumerate(people)
    ]


def with_time_zones(clients: Sequence[Patient]) -> list[Patient]:
    zones = ("America/Sao_Paulo", None, "Europe/Lisbon")
    return [replace(p, time_zone=zones[n % len(zones)]) for n, p in enumerate(clients)]


def calendar_rows(
    people: Sequence[Psychologist], made: Sequence[Appointment], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Rows for the calendar tables and the psychologists' settings, by table."""
    rows: dict[str, list[dict[str, Any]]] = {
        "settings": [],
        "weekly_hours": [],
        "extra_hours": [],
        "time_off": [],
        "schedule_changes": [],
    }
    for psychologist, settings in zip(people, SETTINGS, strict=False):
        rows["settings"].append({"id": psychologist.id, **settings_to_row(settings)})
        rows["schedule_changes"].append(_change(psychologist, "booking_settings.set", now, {}))
    if len(people) > 1:
        _later_hours(rows, people[1], now)
    if len(people) > 2:
        _extra_saturday(rows, people[2], now)
    if people:
        _time_off(rows, people[0], made, now)
    return rows


def _later_hours(
    rows: dict[str, list[dict[str, Any]]], psychologist: Psychologist, now: datetime
) -> None:
    """Afternoons only, from the Monday two weeks after the seeding on."""
    today = now.astimezone(ZoneInfo(psychologist.time_zone)).date()
    starting = today + timedelta(days=14 - today.weekday())
    hours = tuple(WorkingHours(day, time(13), time(19)) for day in list(Weekday)[:5])
    rows["weekly_hours"].append(
        {
            "psychologist_id": psychologist.id,
            "effective_from": starting,
            "hours": working_hours_to_json(hours),
            "created_at": now,
        }
    )
    details = {"effectiveFrom": starting.isoformat(), "hours": working_hours_to_json(hours)}
    rows["schedule_changes"].append(_change(psychologist, "weekly_hours.set", now, details))


def _extra_saturday(
    rows: dict[str, list[dict[str, Any]]], psychologist: Psychologist, now: datetime
) -> None:
    today = now.astimezone(ZoneInfo(psychologist.time_zone)).date()
    saturday = today + timedelta(days=12 - today.weekday())
    extra_id = uuid5(NAMESPACE, f"extra-{psychologist.id}")
    rows["extra_hours"].append(
        {
            "id": extra_id,
            "psychologist_id": psychologist.id,
            "day": saturday,
            "start_time": time(14),
            "end_time": time(18),
            "created_at": now,
        }
    )
    details = {
        "id": str(extra_id),
        "date": saturday.isoformat(),
        "startTime": "14:00",
        "endTime": "18:00",
    }
    rows["schedule_changes"].append(_change(psychologist, "extra_hours.added", now, details))


def _time_off(
    rows: dict[str, list[dict[str, Any]]],
    psychologist: Psychologist,
    made: Sequence[Appointment],
    now: datetime,
) -> None:
    """Two whole days off, the first two free days from three weeks after the seeding."""
    zone = ZoneInfo(psychologist.time_zone)
    booked = [
        a.interval
        for a in made
        if a.psychologist_id == psychologist.id and a.status in BLOCKING_STATUSES
    ]
    first = now.astimezone(zone).date() + timedelta(days=21)
    while any(_days(first, zone).overlaps(session) for session in booked):
        first += timedelta(days=1)
    period = _days(first, zone)
    off_id = uuid5(NAMESPACE, f"time-off-{psychologist.id}")
    rows["time_off"].append(
        {
            "id": off_id,
            "psychologist_id": psychologist.id,
            "starts_at": period.start,
            "ends_at": period.end,
            "all_day": True,
            "reason": "Conference",
            "created_at": now,
        }
    )
    details = {
        "id": str(off_id),
        "startsAt": period.start.isoformat(),
        "endsAt": period.end.isoformat(),
        "allDay": True,
        "reason": "Conference",
        "cancelled": [],
    }
    rows["schedule_changes"].append(_change(psychologist, "time_off.added", now, details))


def _days(first: date, zone: ZoneInfo) -> Interval:
    return all_day(first, first + timedelta(days=1), zone)


def _change(
    psychologist: Psychologist, action: str, now: datetime, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "psychologist_id": psychologist.id,
        "action": action,
        "actor_role": "ADMIN",
        "actor_subject": SEED_ADMIN,
        "request_id": f"seed-{action}",
        "occurred_at": now.astimezone(UTC),
        "details": details,
    }


async def seed_calendars(
    connection: AsyncConnection, rows: dict[str, list[dict[str, Any]]]
) -> None:
    for values in rows["settings"]:
        key = values.pop("id")
        await connection.execute(
            update(psychologists).where(psychologists.c.id == key).values(**values)
        )
    tables = {
        "weekly_hours": weekly_hours,
        "extra_hours": extra_hours,
        "time_off": time_off,
        "schedule_changes": schedule_changes,
    }
    for name, table in tables.items():
        if rows[name]:
            await connection.execute(insert(table), rows[name])
