"""The dead-letter archive on PostgreSQL and on SQLite: the sweeper's side (keep a letter,
reject its request, once) and the operator's (list, send back through the outbox)."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import ArchiveDeadLetter
from application.dead_letters import ArchiveDeadLetterHandler
from application.notice_messages import NOTICE_TOPIC
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from infra.db.dead_letter_archive import (
    ArchiveCounts,
    archive_counts,
    archived_letters,
    redrive_archived,
)
from infra.db.engine import create_engine
from infra.db.migrate import create_embedded_schema
from infra.db.outbox_store import SqlOutbox
from infra.db.tables import appointment_events, appointments, dead_letters, outbox
from infra.db.write_lock import WriteLock
from storage import save_appointments, save_people
from use_cases import Clock, use_cases_on
from worker.dead_letters import archived
from worker.messages import to_outgoing
from worker.ports import PendingMessage, ReceivedMessage

LATER = NOW + timedelta(minutes=5)


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "postgresql":
        engine = create_engine(request.getfixturevalue("database_url"))
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'archive.db'}")
        await create_embedded_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def lock_for(engine: AsyncEngine) -> WriteLock:
    return WriteLock.for_dialect(engine.dialect.name)


def archive_on(engine: AsyncEngine, clock: Clock | None = None) -> ArchiveDeadLetterHandler:
    """The sweeper's use case, keeping letters at LATER unless the clock says otherwise."""
    return use_cases_on(engine, clock=clock or Clock(LATER)).archive_dead_letter


async def requests(engine: AsyncEngine, count: int) -> list[Appointment]:
    psychologist, patient = a_psychologist(), a_patient()
    await save_people(engine, [psychologist], [patient])
    made = [
        an_appointment(psychologist, patient, scheduled_at=NOW + timedelta(days=3, hours=n))
        for n in range(count)
    ]
    await save_appointments(engine, made)
    return made


def letter_for(appointment: Appointment | None, *, body: str | None = None) -> ArchiveDeadLetter:
    """What the sweeper makes of a dead letter for this appointment (or of ``body``)."""
    if body is None:
        assert appointment is not None
        document = {
            "topic": "appointment.requested",
            "appointment_id": str(appointment.id),
            "request_id": f"req-{appointment.id.hex[:8]}",
        }
        body = orjson.dumps(document).decode()
    received = ReceivedMessage(
        message_id=str(uuid.uuid4()),
        receipt="r",
        body=body,
        attributes={"request_id": "req-attr"} if appointment else {},
        receive_count=6,
        group=str(appointment.psychologist_id) if appointment else "psychologist-x",
    )
    return archived(received)


async def statuses(engine: AsyncEngine, made: Sequence[Appointment]) -> list[tuple[str, Any]]:
    query = select(appointments.c.status, appointments.c.rejection_reason).where(
        appointments.c.id.in_([a.id for a in made])
    )
    async with engine.connect() as connection:
        found = {
            row.status: row.rejection_reason for row in (await connection.execute(query)).all()
        }
    return sorted(found.items())


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


# --- keeping -------------------------------------------------------------------------------


async def test_a_dead_letter_is_kept_once_and_its_pending_request_rejected_processing_failed(
    engine: AsyncEngine,
) -> None:
    [appointment] = await requests(engine, 1)
    clock = Clock(LATER)
    archive = archive_on(engine, clock)
    letter = letter_for(appointment)

    first = await archive(letter)
    clock.now = LATER + timedelta(seconds=1)
    again = await archive(letter)

    assert first is not None
    assert (first.appointment.status, first.event.reason) == (
        AppointmentStatus.REJECTED,
        "PROCESSING_FAILED",
    )
    assert (first.appointment.version, first.event.request_id) == (2, "req-attr")
    assert again is None
    assert await statuses(engine, [appointment]) == [("REJECTED", "PROCESSING_FAILED")]
    assert await count(engine, appointment_events) == 2
    [kept] = await archived_letters(engine, limit=10)
    assert (kept.message_id, kept.appointment_id, kept.appointment_status) == (
        letter.message_id,
        appointment.id,
        "REJECTED",
    )
    assert (kept.body, kept.group, kept.request_id, kept.receive_count, kept.reason) == (
        letter.body,
        str(appointment.psychologist_id),
        "req-attr",
        6,
        "retries exhausted",
    )
    assert (kept.first_seen_at, kept.redriven_at) == (LATER, None)


async def test_letters_without_a_pending_request_are_kept_and_change_nothing(
    engine: AsyncEngine,
) -> None:
    [appointment] = await requests(engine, 1)
    archive = archive_on(engine)
    unreadable = letter_for(None, body="{not json")
    nobody = letter_for(an_appointment(uuid.uuid4(), uuid.uuid4()))
    assert await archive(letter_for(appointment)) is not None

    assert await archive(unreadable) is None
    assert await archive(nobody) is None
    assert await archive(letter_for(appointment)) is None

    assert await archive_counts(engine) == ArchiveCounts(total=4, not_redriven=4)
    newest = await archived_letters(engine, limit=2)
    assert [letter.appointment_id for letter in newest] == [appointment.id, nobody.appointment_id]
    assert [letter.appointment_status for letter in newest] == ["REJECTED", None]
    assert unreadable.appointment_id is None
    assert await count(engine, appointment_events) == 2


async def test_two_sweepers_keeping_one_letter_at_once_keep_it_and_reject_once(
    engine: AsyncEngine,
) -> None:
    [appointment] = await requests(engine, 1)
    letter = letter_for(appointment)
    sweepers = [archive_on(engine) for _ in range(2)]

    results = await asyncio.gather(*(archive(letter) for archive in sweepers))

    assert sorted(result is None for result in results) == [False, True]
    assert await count(engine, dead_letters) == 1
    assert await count(engine, appointment_events) == 2


# --- redriving -----------------------------------------------------------------------------


async def still_pending_letter(engine: AsyncEngine, appointment: Appointment) -> ArchiveDeadLetter:
    """A letter in the archive whose request is still PENDING (kept by hand: the sweeper
    would have rejected it)."""
    letter = letter_for(appointment)
    row = {
        "message_id": letter.message_id,
        "message_group": letter.group,
        "body": letter.body,
        "attributes": dict(letter.attributes),
        "request_id": letter.request_id,
        "receive_count": letter.receive_count,
        "appointment_id": letter.appointment_id,
        "reason": letter.reason,
        "first_seen_at": NOW,
    }
    async with engine.begin() as connection:
        await connection.execute(insert(dead_letters), [row])
    return letter


async def relayed(engine: AsyncEngine) -> list[PendingMessage]:
    sent: list[PendingMessage] = []

    async def send(rows: Sequence[PendingMessage]) -> Mapping[int, str]:
        sent.extend(rows)
        return {}  # none refused

    await SqlOutbox(engine, lock_for(engine), random.Random(1)).relay_batch(
        send, limit=10, now=LATER + timedelta(hours=1)
    )
    return sent


async def test_redrive_sends_back_the_letters_of_pending_requests_and_with_all_the_decided_too(
    engine: AsyncEngine,
) -> None:
    decided, waiting = await requests(engine, 2)
    archive = archive_on(engine)
    rejected_letter = letter_for(decided)
    await archive(rejected_letter)
    await archive(letter_for(None, body="{not json"))
    pending_letter = await still_pending_letter(engine, waiting)

    first = await redrive_archived(engine, lock_for(engine), limit=10, decided_too=False, now=LATER)
    assert [letter.message_id for letter in first] == [pending_letter.message_id]
    again = await redrive_archived(engine, lock_for(engine), limit=10, decided_too=False, now=LATER)
    assert again == []
    everything = await redrive_archived(
        engine, lock_for(engine), limit=10, decided_too=True, now=LATER
    )

    # The unreadable letter is never sent back: no worker could decide it.
    assert [letter.message_id for letter in everything] == [rejected_letter.message_id]
    assert await archive_counts(engine) == ArchiveCounts(total=3, not_redriven=1)
    redriven = {
        letter.message_id: letter.redriven_at for letter in await archived_letters(engine, limit=5)
    }
    assert redriven[pending_letter.message_id] == LATER
    assert redriven[rejected_letter.message_id] == LATER
    # Through the outbox, with the document, group and request id the letter had (beside
    # the notice of the rejection the archive made).
    sent = [row for row in await relayed(engine) if row.topic != NOTICE_TOPIC]
    assert [orjson.loads(to_outgoing(row).body) for row in sent] == [
        orjson.loads(pending_letter.body),
        orjson.loads(rejected_letter.body),
    ]
    assert [row.group for row in sent] == [pending_letter.group, rejected_letter.group]
    assert [row.request_id for row in sent] == ["req-attr", "req-attr"]
    assert await count(engine, outbox) == 3


async def test_redrive_takes_the_oldest_letters_first_up_to_the_limit(
    engine: AsyncEngine,
) -> None:
    made = await requests(engine, 3)
    letters = [await still_pending_letter(engine, appointment) for appointment in made]

    first = await redrive_archived(engine, lock_for(engine), limit=2, decided_too=False, now=LATER)
    rest = await redrive_archived(engine, lock_for(engine), limit=2, decided_too=False, now=LATER)

    assert [letter.message_id for letter in first] == [letters[0].message_id, letters[1].message_id]
    assert [letter.message_id for letter in rest] == [letters[2].message_id]
