from dataclasses import replace
from datetime import timedelta

import pytest

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus
from domain.reminders import DEFAULT_OFFSETS, parse_offsets, plan, still_wanted


def confirmed(starts_in: timedelta):
    return an_appointment(
        a_psychologist(),
        a_patient(),
        status=AppointmentStatus.CONFIRMED,
        scheduled_at=NOW + starts_in,
    )


def test_a_session_days_ahead_gets_a_reminder_24_hours_and_one_hour_before():
    session = confirmed(timedelta(days=3))
    planned = plan(session, DEFAULT_OFFSETS, NOW)
    assert [r.due_at for r in planned] == [
        session.scheduled_at - timedelta(hours=24),
        session.scheduled_at - timedelta(hours=1),
    ]


def test_a_reminder_whose_time_has_passed_is_not_planned():
    planned = plan(confirmed(timedelta(hours=3)), DEFAULT_OFFSETS, NOW)
    assert [r.before for r in planned] == [timedelta(hours=1)]


def test_only_a_confirmed_session_gets_reminders():
    pending = replace(confirmed(timedelta(days=3)), status=AppointmentStatus.PENDING)
    assert plan(pending, DEFAULT_OFFSETS, NOW) == []


def test_a_due_reminder_is_dropped_once_the_session_is_cancelled_moved_or_started():
    session = confirmed(timedelta(hours=1))
    at = session.scheduled_at
    assert still_wanted(at, session, NOW)
    assert not still_wanted(at, replace(session, status=AppointmentStatus.CANCELLED), NOW)
    assert not still_wanted(at, replace(session, scheduled_at=at + timedelta(days=1)), NOW)
    assert not still_wanted(at, session, at)
    assert not still_wanted(at, None, NOW)


def test_offsets_are_read_from_settings_text():
    assert parse_offsets("1h, 24h,90m") == (
        timedelta(hours=24),
        timedelta(minutes=90),
        timedelta(hours=1),
    )
    assert parse_offsets("2d") == (timedelta(days=2),)


@pytest.mark.parametrize("text", ["24", "h", "0h", "1w", "-1h"])
def test_offsets_that_are_not_durations_are_refused(text):
    with pytest.raises(ValueError, match="duration"):
        parse_offsets(text)
