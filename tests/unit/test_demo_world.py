"""The demo world `make run` and `appointment-api seed` create, made at many instants: near
midnight, on weekends, in the weeks clocks change, at month and year ends. Whatever the
instant, it holds together the way real data would."""

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appointments import Appointment, AppointmentStatus, RejectionReason, StatusEvent
from domain.people import Patient, Psychologist
from domain.rules import within_working_hours
from domain.schedule import Interval
from infra.db.demo_data import (
    FUTURE_STATUSES,
    PAST_STATUSES,
    demo_appointments,
    demo_patients,
    demo_psychologists,
)

SEED = 20261125
INSTANTS = [
    datetime(2026, 12, 5, 23, 30, tzinfo=UTC),  # Saturday, late evening UTC
    datetime(2026, 12, 6, 12, 0, tzinfo=UTC),  # Sunday noon
    datetime(2026, 12, 7, 0, 0, tzinfo=UTC),  # Monday, midnight UTC
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # Lisbon falls back: 01:30 happens twice
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York falls back
    datetime(2027, 3, 14, 6, 59, tzinfo=UTC),  # New York springs forward
    datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # Lisbon springs forward
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),  # year end
    datetime(2027, 2, 28, 23, 0, tzinfo=UTC),  # month end
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),  # leap day
]
ANY_INSTANT = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)


World = tuple[list[Psychologist], list[Patient], list[Appointment], list[StatusEvent]]


def make_world(now: datetime, count: int = 200) -> World:
    rng = random.Random(SEED)
    people = demo_psychologists(rng, 6)
    clients = demo_patients(rng, 20)
    made, events = demo_appointments(rng, people, clients, count, now)
    return people, clients, made, events


@pytest.mark.parametrize("now", INSTANTS, ids=[i.isoformat() for i in INSTANTS])
def test_every_status_every_patient_and_only_possible_times(now: datetime) -> None:
    people, clients, made, _ = make_world(now)
    by_id = {p.id: p for p in people}

    assert len(made) == 200
    assert set(Counter(a.status for a in made)) == set(AppointmentStatus)
    assert {a.patient_id for a in made} == {c.id for c in clients}
    for appointment in made:
        psychologist = by_id[appointment.psychologist_id]
        assert within_working_hours(psychologist, appointment.interval), appointment
        if appointment.scheduled_at > now:
            assert appointment.status in FUTURE_STATUSES
            assert appointment.scheduled_at > now + timedelta(days=2)
        else:
            assert appointment.status in PAST_STATUSES
            assert appointment.scheduled_at < now - timedelta(days=1)


@pytest.mark.parametrize("now", INSTANTS, ids=[i.isoformat() for i in INSTANTS])
def test_nobody_is_in_two_sessions_at_once(now: datetime) -> None:
    _, _, made, _ = make_world(now)
    for owner in ("psychologist_id", "patient_id"):
        sessions: dict[UUID, list[Interval]] = defaultdict(list)
        for appointment in made:
            sessions[getattr(appointment, owner)].append(appointment.interval)
        for intervals in sessions.values():
            ordered = sorted(intervals, key=lambda interval: interval.start)
            assert all(not a.overlaps(b) for a, b in pairwise(ordered))


@settings(max_examples=40, deadline=None)
@given(now=ANY_INSTANT)
def test_each_history_leads_to_its_status_before_now(now: datetime) -> None:
    _, _, made, events = make_world(now, count=60)
    history: dict[UUID, list[StatusEvent]] = defaultdict(list)
    for event in events:
        history[event.appointment_id].append(event)
    assert set(history) == {a.id for a in made}
    for appointment in made:
        steps = history[appointment.id]
        assert [e.version for e in steps] == list(range(1, len(steps) + 1))
        assert steps[0].status is AppointmentStatus.PENDING
        assert [e.previous_status for e in steps] == [None, *(e.status for e in steps[:-1])]
        assert steps[-1].status is appointment.status
        assert appointment.version == len(steps)
        times = [e.occurred_at for e in steps]
        assert times == sorted(times)
        assert appointment.created_at == times[0]
        assert appointment.updated_at == times[-1] <= now
        if appointment.status is AppointmentStatus.REJECTED:
            assert appointment.rejection_reason in set(RejectionReason)
        if appointment.status is AppointmentStatus.CANCELLED:
            assert appointment.cancellation_reason


def test_the_same_instant_makes_the_same_world() -> None:
    first, again = make_world(INSTANTS[0]), make_world(INSTANTS[0])
    assert first[2] == again[2]
    assert first[3] == again[3]


def test_the_people_do_not_depend_on_the_instant() -> None:
    people, clients, _, _ = make_world(INSTANTS[0])
    later_people, later_clients, _, _ = make_world(INSTANTS[-1])
    assert (people, clients) == (later_people, later_clients)
    assert [p.subject for p in people] == [f"psychologist-{n}" for n in range(1, 7)]
    assert [c.subject for c in clients] == [f"patient-{n}" for n in range(1, 21)]
    assert len({p.time_zone for p in people}) == 3
    assert [p.active for p in people] == [True] * 5 + [False]
