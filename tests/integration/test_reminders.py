"""Reminders on the full stack's engines: PostgreSQL, SQS (moto), Redis, and two workers
that both scan for due reminders at the same instants. Each reminder is emailed once, to
both people; none for a session cancelled or moved meanwhile."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from notifying import book, cancel, notifying_api, office_hour
from sqlalchemy import func, select, update

from appointment_api.bootstrap import Resources, build_resources, worker_parts
from graphql_client import APP_NOW, SECRET
from infra.config import Settings
from infra.db.notification_tables import outgoing_emails, reminders
from infra.db.tables import appointments
from infra.queue.opening import open_queue
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from resolvers.node_ids import from_global_id
from support.services import SqsServer
from support.smtp_server import TlsSmtpServer
from use_cases import Clock
from worker.runner import run_until_stopped


@pytest.fixture
async def smtp(tmp_path):
    server = TlsSmtpServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def stack_settings(database_url, redis_url, sqs_endpoint_url, smtp) -> dict[str, Any]:
    name = f"reminders-{uuid4().hex[:10]}"
    endpoint = SqsEndpoint(region=SqsServer.region, endpoint_url=sqs_endpoint_url)
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dead.fifo")
    return {
        "database_url": database_url,
        "redis_url": redis_url,
        "sqs_queue_url": urls.queue,
        "sqs_dlq_url": urls.dead_letters,
        "aws_endpoint_url": sqs_endpoint_url,
        "aws_region": SqsServer.region,
        "notifications_idle_seconds": 0.02,
        **smtp.settings(),
    }


@asynccontextmanager
async def worker(settings: dict[str, Any], clock: Clock) -> AsyncIterator[Resources]:
    """A worker as `appointment-api worker` runs it, with its own engine."""
    config = Settings(jwt_secret=SECRET, **settings)
    resources = build_resources(config, clock=clock)
    stop = asyncio.Event()
    try:
        async with open_queue(config) as (queue, dead_letters):
            running = asyncio.create_task(
                run_until_stopped(worker_parts(resources, queue, dead_letters), stop)
            )
            try:
                yield resources
            finally:
                stop.set()
                await running
    finally:
        await resources.close()


async def sent_by(workers: list[Resources], count: int) -> None:
    """Wait until the workers together recorded ``count`` emails sent (a frozen clock moved
    on before that would end the lease of an email still being sent)."""
    counts = [w.notifications.send_emails.count for w in workers if w.notifications.send_emails]
    async with asyncio.timeout(15):
        while sum(c.delivered for c in counts) < count:
            seen = [c.tried for c in counts]
            waits = [
                asyncio.ensure_future(c.wait_for_tried(n + 1))
                for c, n in zip(counts, seen, strict=True)
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()


async def reminder_emails(engine) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).where(outgoing_emails.c.notice == "REMINDER")
        return int((await connection.execute(query)).scalar_one())


async def test_two_workers_send_each_reminder_once_and_none_for_a_cancelled_session(
    stack_settings, smtp
):
    clock = Clock(APP_NOW)
    async with (
        worker(stack_settings, clock) as first,
        worker(stack_settings, clock) as second,
        notifying_api(clock=clock, **stack_settings) as api,
    ):
        workers = [first, second]
        psychologist = await api.world.psychologist(time_zone="UTC")
        kept, dropped = await api.world.patients(2)
        starts = office_hour(api.now, 3)
        kept_id = await book(api, psychologist, kept, starts)
        dropped_id = await book(api, psychologist, dropped, starts + timedelta(hours=2))
        await cancel(api, dropped_id)
        # Confirmations (2 x 2) and the cancellation (2): every notice handed on.
        await sent_by(workers, 6)

        clock.now = starts - timedelta(hours=24) + timedelta(minutes=1)
        await sent_by(workers, 8)
        clock.now = starts - timedelta(hours=1) + timedelta(minutes=1)
        await sent_by(workers, 10)
        clock.now = starts + timedelta(hours=2)
        # A last scan past every due time; nothing else becomes due.
        assert await reminder_emails(api.resources.engine) == 4

    reminders_sent = [m for m in smtp.mails if m.subject.startswith("Reminder")]
    assert len(reminders_sent) == 4
    assert sorted(m.recipients[0] for m in reminders_sent) == sorted(
        [kept.email, kept.email, psychologist.email, psychologist.email]
    )
    assert all(dropped.email not in m.recipients for m in reminders_sent)
    to_patient = [m for m in reminders_sent if kept.email in m.recipients]
    assert {m.body("plain").split("It starts in ")[1].split(".")[0] for m in to_patient} == {
        "24 hours",
        "1 hour",
    }
    assert kept_id != dropped_id


async def test_a_session_moved_meanwhile_gets_no_reminder_for_its_old_time(database_url, smtp):
    clock = Clock(APP_NOW)
    async with notifying_api(database_url, clock, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC")
        starts = office_hour(api.now, 3)
        appointment_id = await book(api, psychologist, await api.world.patient(), starts)
        await smtp.wait_for(2)
        # Moved behind the notifications' back, as a reschedule would leave the row.
        _, key = from_global_id(appointment_id, argument="id")
        async with api.resources.engine.begin() as connection:
            await connection.execute(
                update(appointments)
                .where(appointments.c.id == key)
                .values(
                    scheduled_at=starts + timedelta(days=1),
                    ends_at=starts + timedelta(days=1, minutes=50),
                    blocked_from=starts + timedelta(days=1),
                    blocked_until=starts + timedelta(days=1, minutes=50),
                )
            )
        clock.now = starts - timedelta(minutes=30)
        count = api.resources.notifications.send_reminders.count
        async with asyncio.timeout(15):
            await count.wait_for_tried(2)
        assert count.delivered == 0
        async with api.resources.engine.connect() as connection:
            rows = (await connection.execute(select(reminders))).mappings().all()
    assert rows
    assert all(row["sent_at"] is None and row["dropped_at"] is not None for row in rows)
    assert [m for m in smtp.mails if m.subject.startswith("Reminder")] == []
