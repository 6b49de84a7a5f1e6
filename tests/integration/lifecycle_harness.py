"""The use cases on a test's own database and clock, with the real outbox relay and queue
consumer: a test moves the worker a step at a time with ``work()``, no sleeps."""

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.changes import StatusChange
from application.use_cases import UseCases
from appointment_api.bootstrap import build_use_cases
from builders import NOW, a_patient, a_psychologist
from domain.appointments import Appointment
from domain.people import Patient, Psychologist
from domain.policy import BookingPolicy
from domain.viewer import Role, Viewer
from infra.db.engine import create_engine
from infra.db.migrate import create_embedded_schema
from infra.db.outages import SqlProbe
from infra.db.outbox_store import SqlOutbox
from infra.db.write_lock import WriteLock
from infra.meetings.room_links import RoomLinks
from infra.queue.memory_queue import in_memory_queue
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from infra.queue.sqs_queue import open_sqs
from storage import save_people
from support.services import SqsServer
from use_cases import Clock, Published
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.outage import DatabaseOutage
from worker.outbox_relay import OutboxRelay
from worker.ports import MessageQueue

ADMIN = Viewer("admin-1", Role.ADMIN)
MEETINGS = "https://meet.clinic.example"


@dataclass
class Harness:
    engine: AsyncEngine
    clock: Clock
    live: Published
    cases: UseCases
    relay: OutboxRelay
    consumer: Consumer
    queue: MessageQueue
    wait_seconds: float

    async def work(self) -> list[StatusChange]:
        """Relay what is due and handle every message until the queue is empty; what the
        worker published meanwhile."""
        before = len(self.live.changes)
        while True:
            sent = await self.relay.relay_once()
            received = await self.queue.receive(
                max_messages=10,
                wait_seconds=self.wait_seconds if sent else 0,
                visibility_timeout=30,
            )
            for message in received:
                await self.consumer.handle(message)
            if not sent and not received:
                return self.live.changes[before:]

    async def people(self, **psychologist: object) -> tuple[Psychologist, Patient, Viewer]:
        doctor = a_psychologist(**psychologist)
        patient = a_patient()
        await save_people(self.engine, [doctor], [patient])
        return doctor, patient, Viewer(str(patient.subject), Role.PATIENT)


@asynccontextmanager
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """PostgreSQL with SQS (moto), or the embedded SQLite with the in-process queue."""
    if request.param == "postgresql":
        engine = create_engine(request.getfixturevalue("database_url"))
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lifecycle.db'}")
        await create_embedded_schema(engine)
    clock = Clock(NOW)
    live = Published()
    lock = WriteLock.for_dialect(engine.dialect.name)
    cases = build_use_cases(
        engine,
        clock=clock,
        policy=BookingPolicy(),
        live=live,
        write_lock=lock,
        meetings=RoomLinks(MEETINGS),
    )
    try:
        async with _queue(request) as (queue, wait):
            relay = OutboxRelay(SqlOutbox(engine, lock, random.Random(7)), queue, clock)
            consumer = Consumer(
                queue,
                cases.queued_work,
                cases.reject_failed,
                clock,
                DatabaseOutage(SqlProbe(engine), Backoff(base=0.1, cap=1)),
            )
            yield Harness(engine, clock, live, cases, relay, consumer, queue, wait)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _queue(request: pytest.FixtureRequest) -> AsyncIterator[tuple[MessageQueue, float]]:
    if request.param != "postgresql":
        async with in_memory_queue() as (queue, _):
            yield queue, 0
        return
    endpoint = SqsEndpoint(
        region=SqsServer.region, endpoint_url=request.getfixturevalue("sqs_endpoint_url")
    )
    name = f"lifecycle-{uuid.uuid4().hex[:12]}"
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dead.fifo")
    try:
        async with open_sqs(urls.queue, urls.dead_letters, endpoint) as (queue, _):
            yield queue, 1
    finally:
        async with sqs_client(endpoint) as client:
            await client.delete_queue(QueueUrl=urls.queue)
            await client.delete_queue(QueueUrl=urls.dead_letters)


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A whole minute ``days`` after the tests' clock, at that UTC hour."""
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)


def fee(value: str) -> Decimal:
    return Decimal(value)


__all__ = ["ADMIN", "Appointment", "Harness", "at", "fee", "harness"]
