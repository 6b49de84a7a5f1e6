"""The dead-letter sweeper on the in-process dead-letter queue, with a fake archive."""

import asyncio
import random
import uuid

import pytest
from worker_fakes import (
    DECIDED_AT,
    WAIT_SECONDS,
    Outcomes,
    ScriptedArchive,
    command,
    decision,
    pending,
)

from application.errors import DatabaseUnavailable
from domain.appointments import AppointmentStatus, RejectionReason
from infra.queue.memory_fifo import StoredMessage
from infra.queue.memory_queue import InMemoryDeadLetterQueue
from worker.dead_letters import DeadLetterSweeper
from worker.outcomes import decided

TINY = 0.001


def letter(body: str, group: str = "psychologist-1", **attributes: str) -> StoredMessage:
    return StoredMessage(
        message_id=str(uuid.uuid4()),
        deduplication_id=uuid.uuid4().hex,
        group=group,
        body=body,
        attributes=attributes,
        receive_count=5,
    )


def sweeper(
    dead_letters: InMemoryDeadLetterQueue, archive: ScriptedArchive, outcomes: Outcomes
) -> DeadLetterSweeper:
    return DeadLetterSweeper(
        dead_letters,
        archive,
        lambda: DECIDED_AT,
        observer=outcomes,
        wait_seconds=0.05,
        retry_base=TINY,
        retry_cap=TINY * 10,
        rng=random.Random(3),
    )


async def in_view(dead_letters: InMemoryDeadLetterQueue) -> list[str]:
    held = await dead_letters.receive(max_messages=10, wait_seconds=0, visibility_timeout=30)
    for message in held:
        await dead_letters.hide(message, 0)
    return [message.message_id for message in held]


async def test_letters_of_one_group_are_all_archived_at_once_and_deleted() -> None:
    appointment, other = pending(), pending()
    first = letter(command(appointment.id).body, request_id="req-1")
    second = letter(command(other.id).body)
    dead_letters = InMemoryDeadLetterQueue()
    for stored in (first, second):
        dead_letters.take_in(stored)
    archive = ScriptedArchive(rejecting=appointment)
    outcomes = Outcomes()

    assert await sweeper(dead_letters, archive, outcomes).sweep_once() == 2

    assert [record.message_id for record in archive.kept] == [first.message_id, second.message_id]
    record = archive.kept[0]
    assert (record.appointment_id, record.request_id, record.receive_count) == (
        appointment.id,
        "req-1",
        6,
    )
    assert (record.group, record.body, dict(record.attributes)) == (
        "psychologist-1",
        first.body,
        {"request_id": "req-1"},
    )
    assert record.reason == "retries exhausted"
    # The first one's request was still PENDING: rejected, and timed from its creation.
    assert outcomes.seen == [("dead_lettered", 3.0), ("dead_lettered", None)]
    assert await dead_letters.count() == 0


async def test_an_unreadable_letter_is_archived_without_an_appointment() -> None:
    dead_letters = InMemoryDeadLetterQueue()
    dead_letters.take_in(letter("{not json"))
    archive = ScriptedArchive()

    await sweeper(dead_letters, archive, Outcomes()).sweep_once()

    [record] = archive.kept
    assert record.appointment_id is None
    assert record.body == "{not json"
    assert record.reason.startswith("unreadable: ")


async def test_letters_stay_in_view_while_the_database_is_away_and_are_archived_after() -> None:
    appointment = pending()
    dead_letters = InMemoryDeadLetterQueue()
    stored = [letter(command(appointment.id).body), letter("{not json")]
    for one in stored:
        dead_letters.take_in(one)
    archive = ScriptedArchive(failures=[DatabaseUnavailable("refused")] * 3)
    outcomes = Outcomes()
    part = sweeper(dead_letters, archive, outcomes)

    with pytest.raises(DatabaseUnavailable):
        await part.sweep_once()
    assert sorted(await in_view(dead_letters)) == sorted(one.message_id for one in stored)

    stop = asyncio.Event()
    running = asyncio.create_task(part.run(stop))
    await outcomes.wait_for("dead_lettered", 2)
    stop.set()
    await asyncio.wait_for(running, WAIT_SECONDS)

    assert archive.failures == []
    assert [record.message_id for record in archive.kept] == [one.message_id for one in stored]
    assert await dead_letters.count() == 0


async def test_a_mistake_while_archiving_stops_the_sweeper() -> None:
    dead_letters = InMemoryDeadLetterQueue()
    dead_letters.take_in(letter("{}"))
    archive = ScriptedArchive(failures=[TypeError("a bug")])

    with pytest.raises(TypeError, match="a bug"):
        await asyncio.wait_for(
            sweeper(dead_letters, archive, Outcomes()).run(asyncio.Event()), WAIT_SECONDS
        )


def test_decided_outcomes_name_the_status_and_reason() -> None:
    appointment = pending()
    assert decided(decision(appointment, AppointmentStatus.CONFIRMED, None)) == "confirmed"
    rejected = decision(appointment, AppointmentStatus.REJECTED, RejectionReason.TOO_SOON.value)
    assert decided(rejected) == "rejected:TOO_SOON"
