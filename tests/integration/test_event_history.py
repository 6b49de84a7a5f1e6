"""The first state of a subscription and its replay, read without a transaction around them,
scoped by viewer exactly as every other read is."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.appointments import AppointmentStatus
from domain.viewer import Role, Viewer
from infra.db.engine import create_engine
from infra.db.event_history import SqlEventHistory
from world import World

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def viewer(role: Role, subject: str | None) -> Viewer:
    assert subject is not None
    return Viewer(subject=subject, role=role)


@pytest.fixture
async def any_engine(backend_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on PostgreSQL, or on an embedded SQLite file."""
    engine = create_engine(backend_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_the_newest_event_is_read_for_those_who_may_see_the_appointment_only(
    any_engine: AsyncEngine,
) -> None:
    engine = any_engine
    world = World(engine, NOW)
    psychologist, other_psychologist = await world.psychologists(2)
    patient, other_patient = await world.patients(2)
    appointment = await world.appointment(psychologist, patient, status=AppointmentStatus.CONFIRMED)
    await world.appointment(other_psychologist, other_patient)
    history = SqlEventHistory(engine)

    seen = {
        who: await history.latest(viewer(*who), appointment.id)
        for who in [
            (Role.PATIENT, patient.subject),
            (Role.PSYCHOLOGIST, psychologist.subject),
            (Role.ADMIN, "admin-1"),
            (Role.PATIENT, other_patient.subject),
            (Role.PSYCHOLOGIST, other_psychologist.subject),
        ]
    }

    readers = list(seen.values())[:3]
    assert all(event is not None for event in readers)
    assert {(e.status, e.version) for e in readers if e} == {
        (AppointmentStatus.CONFIRMED, appointment.version)
    }
    assert seen[(Role.PATIENT, other_patient.subject)] is None
    assert seen[(Role.PSYCHOLOGIST, other_psychologist.subject)] is None


async def test_a_replay_shows_a_patient_their_own_events_and_never_another_patients(
    engine: AsyncEngine,
) -> None:
    world = World(engine, NOW)
    psychologist = await world.psychologist()
    patient, other_patient = await world.patients(2)
    own = await world.appointment(psychologist, patient, status=AppointmentStatus.CONFIRMED)
    others = await world.appointment(psychologist, other_patient)
    history = SqlEventHistory(engine)

    replayed = await history.after(
        viewer(Role.PATIENT, patient.subject), 0, psychologist_id=None, limit=1000
    )

    appointments = {event.appointment_id for event in replayed}
    assert own.id in appointments
    assert others.id not in appointments
    assert [e.version for e in replayed if e.appointment_id == own.id] == [1, 2]


async def test_the_first_state_is_read_without_a_transaction_around_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(engine, NOW)
    appointment = await world.appointment(await world.psychologist(), await world.patient())
    history = SqlEventHistory(engine)
    admin = Viewer(subject="admin-1", role=Role.ADMIN)
    begun: list[dict[str, Any]] = []
    start = asyncpg.Connection.transaction

    def transaction(self: asyncpg.Connection, **options: Any) -> Any:
        begun.append(options)
        return start(self, **options)

    monkeypatch.setattr(asyncpg.Connection, "transaction", transaction)
    for _ in range(3):
        assert await history.latest(admin, appointment.id) is not None

    # No BEGIN before the statement, so no ROLLBACK after it either: one round trip.
    assert begun == []
