"""Status events published straight to Redis, as the API and the worker publish them after
their commit (the app's ``ChannelStatusEvents`` over its ``RedisEventStream``), without
the database: what a live feed receives at a rate the mutations cannot reach on a small
machine."""

import asyncio
import time
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]

from application.changes import StatusChange
from bench.live.cancels import Cancellations, Cancelled
from bench.live.pacing import due
from domain.appointments import (
    Actor,
    ActorRole,
    Appointment,
    AppointmentStatus,
    StatusEvent,
)
from infra.db.rows import appointment_from_row
from infra.pubsub.redis_pubsub import RedisEventStream
from infra.pubsub.status_events import ChannelStatusEvents
from resolvers.node_ids import expect_global_id

ROWS = """
SELECT * FROM appointments WHERE id = ANY($1::uuid[])
"""
# Far above the sequences the history holds: these events are not in it.
FIRST_SEQUENCE = 1_000_000_000


async def appointments(url: str, ids: list[str]) -> dict[str, Appointment]:
    """The appointments of ``ids`` (global ids) as the domain holds them."""
    keys = {expect_global_id(i, "Appointment", argument="id"): i for i in ids}
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(ROWS, list(keys))
    finally:
        await connection.close()
    return {keys[row["id"]]: appointment_from_row(row) for row in rows}


def cancelled(appointment: Appointment, sequence: int, now: datetime) -> StatusChange:
    """The change a cancellation by an admin would publish."""
    event = StatusEvent(
        appointment_id=appointment.id,
        version=appointment.version + 1,
        status=AppointmentStatus.CANCELLED,
        previous_status=appointment.status,
        occurred_at=now,
        reason="live benchmark",
        sequence=sequence,
        actor=Actor(ActorRole.ADMIN, "admin-1"),
    )
    return StatusChange(appointment, event)


async def publish_paced(
    redis_url: str, database_url: str, ids: list[str], rate: float
) -> Cancellations:
    """A CANCELLED event for each of ``ids`` at ``rate`` per second (open loop)."""
    found = await appointments(database_url, ids)
    stream = RedisEventStream(redis_url)
    events = ChannelStatusEvents(stream)
    done: list[Cancelled] = []
    lateness: list[float] = []
    try:
        start = time.perf_counter() + 0.05
        for index, appointment in enumerate(ids):
            planned = due(start, index, rate)
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness.append(max(0.0, time.perf_counter() - planned))
            sent = time.time()
            change = cancelled(found[appointment], FIRST_SEQUENCE + index, datetime.now(UTC))
            await events.publish(change)
            done.append(Cancelled(appointment, sent, time.time()))
    finally:
        await stream.close()
    return Cancellations(done, [], lateness)
