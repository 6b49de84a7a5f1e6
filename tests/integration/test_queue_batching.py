"""The write path's SQS calls on moto's server: the relay sends ten messages per call, the
worker receives up to ten per call and deletes them in one, and an entry SQS refuses alone
stays in the outbox for the next try while the others are marked sent."""

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aioboto3
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.queue_messages import decision_wanted
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from infra.db.outages import SqlProbe
from infra.db.outbox_store import SqlOutbox
from infra.db.tables import appointments, outbox
from infra.db.unit_of_work import SqlUnitsOfWork
from infra.db.write_lock import WriteLock
from infra.queue.sqs_admin import QueueUrls, create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from infra.queue.sqs_queue import SqsQueue, open_sqs
from storage import save_appointments, save_people
from support.services import SqsServer
from use_cases import Clock, use_cases_on
from worker import outcomes
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.outage import DatabaseOutage
from worker.outbox_relay import OutboxRelay

PSYCHOLOGISTS = 6
EACH = 5
WAIT_SECONDS = 20.0


class SqsCalls:
    """Counts the SQS API calls a session's clients make, by action (botocore's hooks)."""

    def __init__(self, session: aioboto3.Session) -> None:
        self.by_action: Counter[str] = Counter()
        session.events.register("before-call.sqs", self._called)

    def _called(self, model: Any, **_: Any) -> None:
        self.by_action[model.name] += 1


class Decided:
    """A DecisionObserver that wakes whoever waits for a number of decisions (or requests
    found decided already)."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None:
        if outcome not in (outcomes.RETRIED, outcomes.UNREADABLE, outcomes.ANNOUNCED):
            self.count += 1
            self._changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Rig:
    engine: AsyncEngine
    session: aioboto3.Session
    calls: SqsCalls
    endpoint: SqsEndpoint
    urls: QueueUrls


@pytest.fixture
async def rig(engine: AsyncEngine, sqs_endpoint_url: str) -> AsyncIterator[Rig]:
    endpoint = SqsEndpoint(region=SqsServer.region, endpoint_url=sqs_endpoint_url)
    name = f"batching-{uuid.uuid4().hex[:12]}"
    async with sqs_client(endpoint) as client:
        urls = await create_queues(client, f"{name}.fifo", f"{name}-dead.fifo")
    session = aioboto3.Session()
    try:
        yield Rig(engine, session, SqsCalls(session), endpoint, urls)
    finally:
        async with sqs_client(endpoint) as client:
            await client.delete_queue(QueueUrl=urls.queue)
            await client.delete_queue(QueueUrl=urls.dead_letters)


async def requested(engine: AsyncEngine) -> list[Appointment]:
    """PENDING requests, EACH for every psychologist, their messages in the outbox."""
    doctors = [a_psychologist() for _ in range(PSYCHOLOGISTS)]
    patients = [a_patient() for _ in range(PSYCHOLOGISTS * EACH)]
    await save_people(engine, doctors, patients)
    made = [
        an_appointment(
            doctor,
            patients[d * EACH + n],
            scheduled_at=NOW + timedelta(days=3, hours=n),
            duration_minutes=30,
        )
        for d, doctor in enumerate(doctors)
        for n in range(EACH)
    ]
    await save_appointments(engine, made)
    async with SqlUnitsOfWork(engine)() as unit:
        await unit.outbox.add([decision_wanted(a) for a in made], at=NOW)
        await unit.commit()
    return made


def relay(engine: AsyncEngine, queue: SqsQueue, clock: Clock) -> OutboxRelay:
    return OutboxRelay(
        SqlOutbox(engine, WriteLock(serialise=False), random.Random(7)), queue, clock
    )


async def test_the_write_path_makes_a_few_sqs_calls_per_ten_messages(rig: Rig) -> None:
    made = await requested(rig.engine)
    clock = Clock(NOW)
    decided = Decided()
    async with open_sqs(
        rig.urls.queue, rig.urls.dead_letters, rig.endpoint, session=rig.session
    ) as (queue, _):
        assert await relay(rig.engine, queue, clock).relay_once() == len(made)
        cases = use_cases_on(rig.engine, clock=clock)
        consumer = Consumer(
            queue,
            cases.queued_work,
            cases.reject_failed,
            clock,
            DatabaseOutage(SqlProbe(rig.engine), Backoff(base=0.1, cap=1)),
            observer=decided,
            concurrency=1,
            wait_seconds=1,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(consumer.run(stop))
        await decided.wait_for(len(made))
        # The deletions of the last receive go out once it is all handled.
        stop.set()
        await asyncio.wait_for(running, WAIT_SECONDS)
        calls = Counter(rig.calls.by_action)

    async with rig.engine.connect() as connection:
        statuses = Counter(
            (await connection.execute(select(appointments.c.status))).scalars().all()
        )
    assert statuses == {AppointmentStatus.CONFIRMED.value: len(made)}
    assert decided.count == len(made)
    # 30 messages: three sends of ten; no call for a single message.
    assert calls["SendMessageBatch"] == 3
    assert calls["SendMessage"] == calls["DeleteMessage"] == 0
    assert calls["ChangeMessageVisibility"] == 0
    # Each receive that brought messages is followed by one deletion call for all of them.
    assert 3 <= calls["DeleteMessageBatch"] <= calls["ReceiveMessage"]
    per_message = (
        calls["SendMessageBatch"] + calls["ReceiveMessage"] + calls["DeleteMessageBatch"]
    ) / len(made)
    # One send, receive and delete per message would be 3.
    assert per_message <= 1.0, calls


class RefuseSecondEntry:
    """Makes SQS's answer to the next SendMessageBatch report its second entry refused, as
    SQS does when one entry is throttled or fails inside: the others are queued."""

    def __init__(self, session: aioboto3.Session) -> None:
        self.armed = True
        session.events.register("after-call.sqs.SendMessageBatch", self._refuse)

    def _refuse(self, parsed: dict[str, Any], **_: Any) -> None:
        if not self.armed:
            return
        self.armed = False
        successful = parsed.get("Successful", [])
        refused = [entry for entry in successful if entry["Id"] == "1"]
        parsed["Successful"] = [entry for entry in successful if entry["Id"] != "1"]
        parsed["Failed"] = [
            {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try"}
            for entry in refused
        ]


async def test_an_entry_refused_alone_stays_in_the_outbox_and_goes_on_the_next_try(
    rig: Rig,
) -> None:
    await requested(rig.engine)
    refusal = RefuseSecondEntry(rig.session)
    clock = Clock(NOW)
    async with open_sqs(
        rig.urls.queue, rig.urls.dead_letters, rig.endpoint, session=rig.session
    ) as (queue, _):
        first = await relay(rig.engine, queue, clock).relay_once()
        async with rig.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(outbox.c.id, outbox.c.dispatched_at, outbox.c.attempts).order_by(
                        outbox.c.id
                    )
                )
            ).all()
        assert not refusal.armed
        assert first == len(rows) - 1
        waiting = [row for row in rows if row.dispatched_at is None]
        assert len(waiting) == 1
        assert waiting[0].id == rows[1].id
        assert waiting[0].attempts == 1
        assert all(row.attempts == 0 for row in rows if row.dispatched_at is not None)

        # Put off with backoff (at most 30 s), then sent on the next try.
        clock.now = NOW + timedelta(seconds=31)
        assert await relay(rig.engine, queue, clock).relay_once() == 1
        received: list[str] = []
        async with asyncio.timeout(WAIT_SECONDS):
            while len(received) < len(rows):
                got = await queue.receive(max_messages=10, wait_seconds=1, visibility_timeout=60)
                received += [message.body for message in got]
                if got:
                    await queue.delete_batch(got)
    async with rig.engine.connect() as connection:
        undispatched = (
            await connection.execute(select(outbox.c.id).where(outbox.c.dispatched_at.is_(None)))
        ).all()
    assert undispatched == []
    # Every message once: the refused one was not queued by the first call.
    assert len(received) == len(set(received)) == len(rows)
