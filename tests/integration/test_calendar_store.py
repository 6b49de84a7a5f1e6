"""The calendar's storage on PostgreSQL and on SQLite: what the use cases write through a
unit of work reads back the same through the read adapters, and announces itself."""

from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.changes import ScheduleChange
from application.practice_commands import (
    AddExtraHours,
    AddTimeOff,
    CreatePsychologist,
    RemoveExtraHours,
    RemoveTimeOff,
    SetBookingSettings,
    SetWeeklyHours,
    TimeOffDates,
)
from builders import NOW, a_patient, an_appointment
from domain.appointments import AppointmentType
from domain.booking_settings import BookingSettings, Offering
from domain.bookings import Booked
from domain.schedule import Interval, Weekday, WorkingHours
from domain.viewer import Role, Viewer
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.calendar_reads import SqlCalendarReads
from infra.db.engine import create_engine
from infra.db.migrate import create_embedded_schema
from storage import save_appointments, save_people
from use_cases import Published, use_cases_on

ADMIN = Viewer("admin-1", Role.ADMIN)
TODAY = NOW.date()
HOURS = (WorkingHours(Weekday.MONDAY, time(9), time(12)),)


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "postgresql":
        engine = create_engine(request.getfixturevalue("database_url"))
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'calendar.db'}")
        await create_embedded_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_calendar_written_through_the_use_cases_reads_back_the_same(
    engine: AsyncEngine,
) -> None:
    live = Published()
    cases = use_cases_on(engine, live=live)
    created = await cases.create_psychologist(
        CreatePsychologist(
            ADMIN,
            "req-0",
            name="Dr. Store",
            email=f"{uuid4().hex}@clinic.example",
            time_zone="America/New_York",
            working_hours=HOURS,
            default_duration_minutes=50,
            consultation_fee=Decimal("100.00"),
            languages=("en",),
        )
    )
    assert created.value is not None
    key = created.value.id
    settings = BookingSettings(
        min_notice=timedelta(hours=3),
        max_advance=timedelta(days=30),
        buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=10),
        durations=(50,),
        offerings=(Offering(AppointmentType.FOLLOW_UP, Decimal("80.50")),),
        max_sessions_per_day=4,
    )
    later = TODAY + timedelta(days=14)
    answers = [
        await cases.set_weekly_hours(SetWeeklyHours(ADMIN, "req-1", key, HOURS[:0], later)),
        await cases.set_booking_settings(SetBookingSettings(ADMIN, "req-2", key, settings)),
        extra := await cases.add_extra_hours(
            AddExtraHours(ADMIN, "req-3", key, TODAY + timedelta(days=3), time(18), time(20))
        ),
        kept_extra := await cases.add_extra_hours(
            AddExtraHours(ADMIN, "req-4", key, TODAY + timedelta(days=4), time(8), time(9))
        ),
        off := await cases.add_time_off(
            AddTimeOff(
                ADMIN, "req-5", key, TimeOffDates(date(2030, 2, 1), date(2030, 2, 2)), "Trip"
            )
        ),
    ]
    assert all(answer.problems == () for answer in answers)
    assert extra.value is not None
    assert off.time_off is not None
    removed = await cases.remove_extra_hours(RemoveExtraHours(ADMIN, "req-6", key, extra.value.id))
    assert removed.value == extra.value

    [calendar] = (
        await SqlCalendarReads(engine).calendars(
            [key], Interval(NOW - timedelta(days=1), NOW + timedelta(days=60))
        )
    ).values()

    assert calendar.psychologist.languages == ("en",)
    assert calendar.settings == settings
    assert calendar.hours_on(later) == ()
    assert calendar.hours_on(later - timedelta(days=7)) == HOURS
    assert calendar.extra_hours == (kept_extra.value,)
    assert calendar.time_off == (off.time_off,)
    changes = await SqlCalendarReads(engine).changes(key, before=None, limit=10)
    assert [c.action for c in changes] == [
        "extra_hours.removed",
        "time_off.added",
        "extra_hours.added",
        "extra_hours.added",
        "booking_settings.set",
        "weekly_hours.set",
        "psychologist.created",
    ]
    assert [c.request_id for c in changes][:2] == ["req-6", "req-5"]
    # One piece of news per unit of work that changed the calendar.
    assert live.schedules == [ScheduleChange(key)] * 6

    gone = await cases.remove_time_off(RemoveTimeOff(ADMIN, "req-7", key, off.time_off.id))
    assert gone.value == off.time_off


async def test_busy_times_hold_each_session_with_the_buffers_it_was_booked_with(
    engine: AsyncEngine,
) -> None:
    live = Published()
    cases = use_cases_on(engine, live=live)
    created = await cases.create_psychologist(
        CreatePsychologist(
            ADMIN,
            "r",
            name="Dr. Busy",
            email=f"{uuid4().hex}@clinic.example",
            time_zone="UTC",
            working_hours=HOURS,
            default_duration_minutes=50,
            consultation_fee=Decimal("100.00"),
        )
    )
    assert created.value is not None
    patient = a_patient()
    await save_people(engine, [], [patient])
    booked = an_appointment(
        created.value, patient, buffer_before_minutes=5, buffer_after_minutes=20
    )
    await save_appointments(engine, [booked])

    busy = await SqlAppointmentReads(engine).busy_intervals([created.value.id], booked.interval)

    assert busy[created.value.id] == [
        Booked(
            booked.scheduled_at,
            Interval(
                booked.scheduled_at - timedelta(minutes=5),
                booked.ends_at + timedelta(minutes=20),
            ),
        )
    ]
