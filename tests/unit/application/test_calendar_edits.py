"""Weekly hours, extra hours and booking settings with fakes of the ports: who may change
them, what is kept, what is audited and announced."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from application_fakes import FakeDatabase, Published
from practice_world import ADMIN, NINE_TO_FIVE, Practice, practice

from application.changes import ScheduleChange
from application.practice_commands import (
    AddExtraHours,
    RemoveExtraHours,
    SetBookingSettings,
    SetWeeklyHours,
)
from application.unit_of_work import Transactions
from domain.appointments import AppointmentType
from domain.booking_settings import BookingSettings, Offering
from domain.schedule import Weekday, WorkingHours
from domain.viewer import Role, Viewer

# NOW is Monday 7 January 2030, 09:00 in São Paulo.
TODAY = date(2030, 1, 7)
MORNINGS = (WorkingHours(Weekday.MONDAY, time(8), time(12)),)


@pytest.fixture
def world(database: FakeDatabase, transactions: Transactions) -> Practice:
    return practice(database, transactions)


async def test_a_psychologist_sets_their_hours_from_a_date_on_and_earlier_weeks_keep_theirs(
    world: Practice, published: Published
) -> None:
    starting = TODAY + timedelta(days=14)

    answer = await world.cases.set_weekly_hours(
        SetWeeklyHours(world.own, "req-1", world.psychologist.id, MORNINGS, starting)
    )

    assert answer.problems == ()
    calendar = world.database.tables.calendar(world.psychologist.id)
    assert calendar is not None
    assert calendar.hours_on(starting + timedelta(days=7)) == MORNINGS
    assert calendar.hours_on(starting - timedelta(days=7)) == NINE_TO_FIVE
    [entry] = world.database.tables.audit
    assert (entry.action, entry.actor_role, entry.actor_subject, entry.request_id) == (
        "weekly_hours.set",
        Role.PSYCHOLOGIST,
        world.psychologist.subject,
        "req-1",
    )
    assert entry.details["effectiveFrom"] == starting.isoformat()
    assert published.schedules == [ScheduleChange(world.psychologist.id)]


async def test_hours_without_a_date_apply_from_today_in_the_psychologists_zone(
    world: Practice,
) -> None:
    answer = await world.cases.set_weekly_hours(
        SetWeeklyHours(ADMIN, "req-1", world.psychologist.id, MORNINGS)
    )

    assert answer.value is not None
    assert answer.value.effective_from == TODAY


async def test_a_change_dated_in_the_past_is_refused(world: Practice) -> None:
    answer = await world.cases.set_weekly_hours(
        SetWeeklyHours(ADMIN, "r", world.psychologist.id, MORNINGS, TODAY - timedelta(days=1))
    )

    assert [(p.code, p.path) for p in answer.problems] == [("INVALID_INPUT", ("effectiveFrom",))]
    assert world.database.tables.weekly == {}


async def test_overlapping_ranges_of_one_day_are_refused_with_their_index(world: Practice) -> None:
    overlapping = (*MORNINGS, WorkingHours(Weekday.MONDAY, time(11), time(13)))

    answer = await world.cases.set_weekly_hours(
        SetWeeklyHours(ADMIN, "r", world.psychologist.id, overlapping)
    )

    assert [(p.code, p.path) for p in answer.problems] == [("INVALID_INPUT", ("hours", "1"))]


async def test_a_psychologist_cannot_change_another_ones_calendar(
    world: Practice, published: Published
) -> None:
    other = world.another_psychologist()
    settings = BookingSettings(buffer_after=timedelta(minutes=10))

    answers = [
        await world.cases.set_weekly_hours(SetWeeklyHours(world.own, "r", other.id, MORNINGS)),
        await world.cases.add_extra_hours(
            AddExtraHours(world.own, "r", other.id, TODAY, time(18), time(20))
        ),
        await world.cases.set_booking_settings(
            SetBookingSettings(world.own, "r", other.id, settings)
        ),
    ]

    assert [[p.code for p in a.problems] for a in answers] == [["FORBIDDEN"]] * 3
    assert world.database.tables.audit == []
    assert published.schedules == []


async def test_a_patient_cannot_change_a_calendar(world: Practice) -> None:
    patient = Viewer("patient-1", Role.PATIENT)

    answer = await world.cases.set_weekly_hours(
        SetWeeklyHours(patient, "r", world.psychologist.id, MORNINGS)
    )

    assert [p.code for p in answer.problems] == ["FORBIDDEN"]


async def test_extra_hours_are_added_and_removed_and_both_audited(world: Practice) -> None:
    added = await world.cases.add_extra_hours(
        AddExtraHours(world.own, "req-1", world.psychologist.id, TODAY, time(18), time(20))
    )
    assert added.value is not None

    removed = await world.cases.remove_extra_hours(
        RemoveExtraHours(ADMIN, "req-2", world.psychologist.id, added.value.id)
    )
    again = await world.cases.remove_extra_hours(
        RemoveExtraHours(ADMIN, "req-3", world.psychologist.id, added.value.id)
    )

    assert removed.value == added.value
    assert [p.code for p in again.problems] == ["NOT_FOUND"]
    assert [(e.action, e.actor_role) for e in world.database.tables.audit] == [
        ("extra_hours.added", Role.PSYCHOLOGIST),
        ("extra_hours.removed", Role.ADMIN),
    ]


async def test_booking_settings_replace_the_old_ones_and_the_audit_keeps_both(
    world: Practice,
) -> None:
    settings = BookingSettings(
        min_notice=timedelta(hours=2),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=15),
        durations=(50, 80),
        offerings=(Offering(AppointmentType.THERAPY_SESSION, Decimal("220.00")),),
        max_sessions_per_day=6,
    )

    answer = await world.cases.set_booking_settings(
        SetBookingSettings(world.own, "req-1", world.psychologist.id, settings)
    )

    assert answer.value == settings
    assert world.database.tables.settings[world.psychologist.id] == settings
    [entry] = world.database.tables.audit
    assert entry.details["from"]["bufferAfterMinutes"] == 0
    assert entry.details["to"]["bufferAfterMinutes"] == 15
    assert entry.details["to"]["sessionDurations"] == [50, 80]


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        (BookingSettings(durations=(10,)), ("sessionDurations", "0")),
        (BookingSettings(durations=(50, 50)), ("sessionDurations",)),
        (BookingSettings(max_advance=timedelta(days=0)), ("maxAdvanceDays",)),
        (
            BookingSettings(min_notice=timedelta(days=10), max_advance=timedelta(days=5)),
            ("maxAdvanceDays",),
        ),
        (
            BookingSettings(
                offerings=(Offering(AppointmentType.FOLLOW_UP, Decimal("-1")),),
            ),
            ("appointmentTypes", "0", "fee"),
        ),
    ],
    ids=["too short", "twice the same", "no advance", "advance under notice", "negative fee"],
)
async def test_settings_that_make_no_sense_are_refused_with_the_field(
    world: Practice, settings: BookingSettings, path: tuple[str, ...]
) -> None:
    answer = await world.cases.set_booking_settings(
        SetBookingSettings(ADMIN, "r", world.psychologist.id, settings)
    )

    assert ("INVALID_INPUT", path) in [(p.code, p.path) for p in answer.problems]
    assert world.database.tables.settings == {}
