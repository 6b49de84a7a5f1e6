"""The dead-letter archive: the sweeper keeps each letter (with its request's rejection, in one
unit of work); operators list the letters and send them back through the outbox."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Insert, Select, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.commands import ArchiveDeadLetter
from application.queue_messages import REQUESTED_TOPIC
from domain.appointments import AppointmentStatus
from infra.db.tables import appointments, dead_letters, outbox
from infra.db.write_lock import WriteLock

# The outbox's columns are this wide; longer values were not written by us.
REQUEST_ID_WIDTH = 64
TOPIC_WIDTH = 100


class DeadLetterRows:
    """The DeadLetters port of a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def keep(self, letter: ArchiveDeadLetter, *, at: datetime) -> None:
        # Seen before (its deletion from the queue failed): already kept.
        await self._connection.execute(
            _insert_once(self._connection.dialect.name).values(_row(letter, at))
        )


def _insert_once(dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(dead_letters).on_conflict_do_nothing(
            index_elements=[dead_letters.c.message_id]
        )
    return sqlite.insert(dead_letters).on_conflict_do_nothing(
        index_elements=[dead_letters.c.message_id]
    )


def _row(letter: ArchiveDeadLetter, at: datetime) -> dict[str, Any]:
    return {
        "message_id": letter.message_id,
        "message_group": letter.group,
        "body": letter.body,
        "attributes": dict(letter.attributes),
        "request_id": letter.request_id,
        "receive_count": letter.receive_count,
        "appointment_id": letter.appointment_id,
        "reason": letter.reason,
        "first_seen_at": at,
    }


# --- the operator's side ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchivedLetter:
    id: int
    message_id: str
    group: str | None
    body: str
    request_id: str | None
    receive_count: int
    appointment_id: UUID | None
    appointment_status: str | None
    reason: str
    first_seen_at: datetime
    redriven_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArchiveCounts:
    total: int
    not_redriven: int


def _letters() -> Select[Any]:
    return select(dead_letters, appointments.c.status.label("appointment_status")).select_from(
        dead_letters.outerjoin(appointments, appointments.c.id == dead_letters.c.appointment_id)
    )


def _letter(row: Any) -> ArchivedLetter:
    return ArchivedLetter(
        id=row["id"],
        message_id=row["message_id"],
        group=row["message_group"],
        body=row["body"],
        request_id=row["request_id"],
        receive_count=row["receive_count"],
        appointment_id=row["appointment_id"],
        appointment_status=row["appointment_status"],
        reason=row["reason"],
        first_seen_at=row["first_seen_at"],
        redriven_at=row["redriven_at"],
    )


async def archived_letters(engine: AsyncEngine, *, limit: int) -> list[ArchivedLetter]:
    """The newest ``limit`` letters, redriven or not."""
    query = _letters().order_by(dead_letters.c.id.desc()).limit(limit)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [_letter(row) for row in rows]


async def archive_counts(engine: AsyncEngine) -> ArchiveCounts:
    not_redriven = func.count().filter(dead_letters.c.redriven_at.is_(None))
    query = select(func.count(), not_redriven).select_from(dead_letters)
    async with engine.connect() as connection:
        total, waiting = (await connection.execute(query)).one()
    return ArchiveCounts(total=int(total), not_redriven=int(waiting))


async def redrive_archived(
    engine: AsyncEngine, write_lock: WriteLock, *, limit: int, decided_too: bool, now: datetime
) -> list[ArchivedLetter]:
    """Queue the oldest letters not yet redriven again, and mark them, in one transaction.

    They go through the outbox, so the relay sends them (and retries) like any request.
    Only letters whose appointment is still PENDING, unless ``decided_too``: the worker
    acknowledges those as already decided. A letter that could not be read is never
    sent back, since no worker could decide it.
    """
    query = (
        _letters()
        .where(dead_letters.c.redriven_at.is_(None), dead_letters.c.appointment_id.is_not(None))
        .order_by(dead_letters.c.id)
        .limit(limit)
        .with_for_update(of=dead_letters, skip_locked=True)
    )
    if not decided_too:
        query = query.where(appointments.c.status == AppointmentStatus.PENDING.value)
    async with write_lock, engine.begin() as connection:
        letters = [_letter(row) for row in (await connection.execute(query)).mappings().all()]
        if not letters:
            return []
        await connection.execute(insert(outbox), [_outbox_row(letter, now) for letter in letters])
        await connection.execute(
            update(dead_letters)
            .where(dead_letters.c.id.in_([letter.id for letter in letters]))
            .values(redriven_at=now)
        )
    return letters


def _outbox_row(letter: ArchivedLetter, now: datetime) -> dict[str, Any]:
    # The sweeper read this body as a decision command, so it is a JSON object.
    payload = orjson.loads(letter.body)
    topic = payload.pop("topic", None)
    if not isinstance(topic, str) or not topic or len(topic) > TOPIC_WIDTH:
        topic = REQUESTED_TOPIC
    request_id = letter.request_id
    if request_id is not None and len(request_id) > REQUEST_ID_WIDTH:
        request_id = None
    return {
        "topic": topic,
        "message_group": letter.group or letter.message_id,
        "payload": payload,
        "request_id": request_id,
        "created_at": now,
    }
