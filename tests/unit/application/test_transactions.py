"""Every use case's changes are published after their unit of work commits, and only then."""

import logging

import pytest
from application_fakes import FakeDatabase, Published

from application.changes import StatusChange
from application.unit_of_work import Transactions
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus


def pending(database: FakeDatabase) -> StatusChange:
    appointment = an_appointment(a_psychologist(), a_patient())
    database.tables.appointments[appointment.id] = appointment
    changed, event = appointment.transition(AppointmentStatus.CONFIRMED, at=NOW)
    return StatusChange(changed, event)


async def test_changes_are_published_once_the_unit_of_work_has_committed(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    change = pending(database)

    async with transactions() as unit:
        await unit.appointments.record(change.appointment, change.event)
        await unit.commit()
        assert published.changes == []

    assert [c.appointment for c in published.changes] == [change.appointment]
    assert published.commits_seen == [1]


async def test_a_unit_of_work_left_without_commit_publishes_and_keeps_nothing(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    change = pending(database)

    async with transactions() as unit:
        await unit.appointments.record(change.appointment, change.event)

    assert published.changes == []
    assert database.tables.appointments[change.appointment.id].status is AppointmentStatus.PENDING


async def test_a_failure_inside_the_unit_of_work_publishes_nothing(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    change = pending(database)

    async def record_then_fail() -> None:
        async with transactions() as unit:
            await unit.appointments.record(change.appointment, change.event)
            raise RuntimeError("a bug before the commit")

    with pytest.raises(RuntimeError):
        await record_then_fail()

    assert published.changes == []


async def test_a_publisher_that_fails_does_not_undo_or_fail_a_committed_change(
    database: FakeDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def publish(self, change: StatusChange) -> None:
            raise ConnectionError("the broker went away")

    change = pending(database)

    with caplog.at_level(logging.ERROR, logger="appointment_api.live"):
        async with Transactions(database, Broken())() as unit:
            await unit.appointments.record(change.appointment, change.event)
            await unit.commit()

    assert database.tables.appointments[change.appointment.id] == change.appointment
    assert "could not publish a committed change" in caplog.text
