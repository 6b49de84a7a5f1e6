"""The relay wakes on PostgreSQL's notification of a commit, not on its poll: a request
committed by another process's unit of work reaches the queue at once, also after the
listener's connection was cut."""

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.queue_messages import decision_wanted
from builders import NOW, a_patient, a_psychologist, an_appointment
from infra.db.outbox_notices import OutboxListener, connecting
from infra.db.outbox_store import SqlOutbox
from infra.db.unit_of_work import SqlUnitsOfWork
from infra.db.write_lock import WriteLock
from infra.queue.memory_queue import InMemoryQueue, in_memory_queue
from storage import save_appointments, save_people
from worker.backoff import Backoff
from worker.outbox_relay import OutboxRelay
from worker.ports import ReceivedMessage

# Far longer than any test waits: whatever arrives came through the notification.
POLL_SECONDS = 3600.0
WAIT_SECONDS = 10.0


@dataclass
class Running:
    queue: InMemoryQueue
    listener: OutboxListener
    wake: asyncio.Event


@pytest.fixture
async def running(engine: AsyncEngine, database_url: str) -> AsyncIterator[Running]:
    wake = asyncio.Event()
    listener = OutboxListener(connecting(database_url), wake, backoff=Backoff(base=0.05, cap=0.2))
    async with in_memory_queue() as (queue, _):
        relay = OutboxRelay(
            SqlOutbox(engine, WriteLock(serialise=False), random.Random(7)),
            queue,
            lambda: NOW,
            idle_seconds=POLL_SECONDS,
            wake=wake,
        )
        stop = asyncio.Event()
        tasks = [asyncio.create_task(part(stop)) for part in (listener.run, relay.run)]
        try:
            yield Running(queue, listener, wake)
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), WAIT_SECONDS)


async def commit_a_request(engine: AsyncEngine) -> str:
    """A request's outbox row, committed as the API does it (no in-process signal)."""
    doctor, patient = a_psychologist(), a_patient()
    await save_people(engine, [doctor], [patient])
    appointment = an_appointment(doctor, patient)
    await save_appointments(engine, [appointment])
    async with SqlUnitsOfWork(engine)() as unit:
        await unit.outbox.add([decision_wanted(appointment)], at=NOW)
        await unit.commit()
    return str(appointment.id)


async def received_within(queue: InMemoryQueue, seconds: float) -> list[ReceivedMessage]:
    return await queue.receive(max_messages=10, wait_seconds=seconds, visibility_timeout=60)


async def listening(running: Running, connections: int) -> None:
    await asyncio.wait_for(running.listener.wait_for_connections(connections), WAIT_SECONDS)


async def test_a_committed_request_reaches_the_queue_through_the_notification(
    engine: AsyncEngine, running: Running
) -> None:
    await listening(running, 1)

    appointment_id = await commit_a_request(engine)

    [message] = await received_within(running.queue, WAIT_SECONDS)
    assert appointment_id in message.body


async def test_the_listener_connects_again_after_its_connection_is_cut(
    engine: AsyncEngine, running: Running
) -> None:
    await listening(running, 1)
    async with engine.connect() as connection:
        cut = await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        )
        assert cut.scalars().all() == [True]
    await listening(running, 2)

    appointment_id = await commit_a_request(engine)

    [message] = await received_within(running.queue, WAIT_SECONDS)
    assert appointment_id in message.body
