"""A change's notice: its wire form round trip, and the consumer handing it on (never
deciding or rejecting anything for it)."""

import asyncio
import random
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
from worker_fakes import (
    DECIDED_AT,
    WAIT_SECONDS,
    Outcomes,
    ScriptedDecisions,
    SpyQueue,
    SwitchableProbe,
    decision,
    pending,
)

from application.changes import StatusChange
from application.notice_messages import (
    NOTICE_TOPIC,
    AnnounceChange,
    UnreadableNotice,
    notice,
    read_notice,
)
from domain.appointments import AppointmentStatus, EventKind
from infra.queue.memory_queue import in_memory_queue
from worker import outcomes
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.dead_letters import archived
from worker.messages import UnreadableMessage, read_message, to_outgoing
from worker.outage import DatabaseOutage
from worker.ports import OutgoingMessage, PendingMessage, ReceivedMessage


def confirmed_change():
    return decision(
        replace(pending(), meeting_url="https://meet.example/x", notes="first"),
        AppointmentStatus.CONFIRMED,
        None,
    )


def wire(change) -> OutgoingMessage:
    message = notice(change)
    return to_outgoing(
        PendingMessage(
            id=7,
            topic=message.topic,
            group=message.group,
            payload=message.payload,
            request_id=message.request_id,
        )
    )


def test_a_notice_carries_the_change_whole_and_reads_back_the_same():
    change = confirmed_change()
    read = read_message(wire(change).body)
    assert read == AnnounceChange(change)


def test_a_move_carries_its_kind_and_both_times_and_reads_back_the_same():
    change = confirmed_change()
    new_time = change.appointment.scheduled_at + timedelta(days=7)
    moved = StatusChange(
        replace(change.appointment, scheduled_at=new_time),
        replace(
            change.event,
            kind=EventKind.RESCHEDULED,
            previous_scheduled_at=change.appointment.scheduled_at,
            scheduled_at=new_time,
        ),
    )
    assert read_message(wire(moved).body) == AnnounceChange(moved)


def test_notices_of_one_appointment_share_a_message_group():
    change = confirmed_change()
    assert notice(change).group == f"notice:{change.appointment.id}"
    assert notice(change).topic == NOTICE_TOPIC


def test_a_broken_notice_is_unreadable():
    body = orjson.loads(wire(confirmed_change()).body)
    del body["scheduled_at"]
    with pytest.raises(UnreadableMessage):
        read_message(orjson.dumps(body).decode())
    with pytest.raises(UnreadableNotice):
        read_notice({"topic": NOTICE_TOPIC})


def test_a_dead_notice_is_archived_without_naming_an_appointment_to_reject():
    letter = ReceivedMessage("m-1", "r", wire(confirmed_change()).body, {}, 5, "notice:x")
    record = archived(letter)
    assert record.appointment_id is None
    assert record.reason == "notice retries exhausted"


class Announcer:
    def __init__(self, script):
        self.script = list(script)
        self.seen = []

    async def __call__(self, command):
        self.seen.append(command)
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer


async def consume(announcer, observed: Outcomes, outcome: str) -> SpyQueue:
    async with in_memory_queue(max_receive_count=3) as (queue, _):
        spy = SpyQueue(queue)
        await spy.send_batch([wire(confirmed_change())])
        decisions = ScriptedDecisions(pending(), [])
        consumer = Consumer(
            spy,
            decisions.decide,
            decisions.reject_failed,
            lambda: DECIDED_AT,
            DatabaseOutage(SwitchableProbe(lambda: None), Backoff(base=0.001, cap=0.01)),
            observer=observed,
            concurrency=1,
            wait_seconds=0.05,
            retry_base=0.001,
            retry_cap=0.01,
            rng=random.Random(3),
            announce=announcer,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(consumer.run(stop))
        try:
            await observed.wait_for(outcome)
        finally:
            stop.set()
            await asyncio.wait_for(running, WAIT_SECONDS)
        assert decisions.commands == []
        assert decisions.rejections == []
        return spy


async def test_the_consumer_hands_a_notice_on_and_acknowledges_it():
    announcer = Announcer([None])
    observed = Outcomes()
    await consume(announcer, observed, outcomes.ANNOUNCED)
    assert [c.change.appointment.status for c in announcer.seen] == [AppointmentStatus.CONFIRMED]


async def test_a_notice_that_fails_comes_back_and_is_handed_on_then():
    announcer = Announcer([RuntimeError("store down"), None])
    observed = Outcomes()
    spy = await consume(announcer, observed, outcomes.ANNOUNCED)
    assert observed.names.count(outcomes.RETRIED) == 1
    assert [m.receive_count for m in spy.received] == [1, 2]
