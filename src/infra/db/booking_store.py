"""Accepting appointment requests: patient, appointment, first event and outbox row
in one transaction, with the idempotency key enforced by a unique index in it."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, and_, func, insert, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from uuid6 import uuid7

from domain.appointments import Appointment, AppointmentStatus, StatusEvent
from domain.requests import PatientProfile
from domain.schedule import Interval
from infra.db.event_order import hold_event_order
from infra.db.rows import appointment_from_row, appointment_to_row, event_to_row
from infra.db.tables import appointment_events, appointments, outbox, patients
from infra.db.write_lock import WriteLock
from resolvers.ports import (
    Accepted,
    PatientByEmail,
    PatientBySubject,
    Refused,
    Submission,
    SubmissionResult,
)

REQUESTED_TOPIC = "appointment.requested"
NO_PATIENT = (
    "A patient profile (name and email) is needed for a first booking, "
    "and its email may not belong to another patient."
)
NOT_STORED = "The request could not be stored; try again."
KEY_REUSED = "This idempotency key was already used for a different request."


def _insert_ignoring_conflicts(table: Any, dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


class SqlBookingStore:
    def __init__(
        self,
        engine: AsyncEngine,
        write_lock: WriteLock,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._lock = write_lock
        self._on_commit = on_commit

    async def confirmed_overlaps(self, wanted: Sequence[tuple[UUID, Interval]]) -> set[int]:
        """Indexes of ``wanted`` (psychologist, interval) that a CONFIRMED session overlaps."""
        if not wanted:
            return set()
        match = or_(
            *(
                and_(
                    appointments.c.psychologist_id == psychologist_id,
                    appointments.c.scheduled_at < interval.end,
                    appointments.c.ends_at > interval.start,
                )
                for psychologist_id, interval in wanted
            )
        )
        query = select(
            appointments.c.psychologist_id, appointments.c.scheduled_at, appointments.c.ends_at
        ).where(appointments.c.status == AppointmentStatus.CONFIRMED.value, match)
        async with self._engine.connect() as connection:
            taken = (await connection.execute(query)).all()
        return {
            index
            for index, (psychologist_id, interval) in enumerate(wanted)
            for other_id, start, end in taken
            if other_id == psychologist_id and start < interval.end and interval.start < end
        }

    async def submit(
        self, submissions: Sequence[Submission], *, at: datetime
    ) -> list[SubmissionResult]:
        async with self._lock, self._engine.begin() as connection:
            batch = _Batch(connection, self._engine.dialect.name, at)
            results = await batch.run(submissions)
        if batch.accepted_any:
            self._on_commit()
        return results


class _Batch:
    def __init__(self, connection: AsyncConnection, dialect: str, at: datetime) -> None:
        self.connection = connection
        self.dialect = dialect
        self.at = at
        self.accepted_any = False

    async def run(self, submissions: Sequence[Submission]) -> list[SubmissionResult]:
        results: dict[int, SubmissionResult] = await self._earlier_results(submissions)
        ready: list[tuple[int, Submission]] = []
        patient_ids: dict[PatientBySubject | PatientByEmail, UUID | None] = {}
        for index, submission in enumerate(submissions):
            if index in results:
                continue
            if submission.patient not in patient_ids:
                patient_ids[submission.patient] = await self._patient_id(submission.patient)
            patient_id = patient_ids[submission.patient]
            if patient_id is None:
                results[index] = Refused("INVALID_INPUT", ("patient",), NO_PATIENT)
            else:
                ready.append((index, _for_patient(submission, patient_id)))
        created = await self._insert(ready)
        self.accepted_any = bool(created)
        raced = {i: s for i, s in ready if s.appointment.id not in created}
        replays = await self._earlier_results(list(raced.values()))
        for position, index in enumerate(raced):
            results[index] = replays.get(position, Refused("INVALID_INPUT", (), NOT_STORED))
        for index, submission in ready:
            if submission.appointment.id in created:
                first = created[submission.appointment.id]
                results[index] = Accepted(submission.appointment, created=True, event=first)
        return [results[index] for index in range(len(submissions))]

    async def _earlier_results(
        self, submissions: Sequence[Submission]
    ) -> dict[int, SubmissionResult]:
        """What earlier requests with the same idempotency keys got, by position."""
        keyed = {
            (s.idempotency_scope, s.idempotency_key): i
            for i, s in reversed(list(enumerate(submissions)))
            if s.idempotency_key is not None
        }
        if not keyed:
            return {}
        query = select(appointments).where(
            tuple_(appointments.c.idempotency_scope, appointments.c.idempotency_key).in_(
                list(keyed)
            )
        )
        rows = (await self.connection.execute(query)).mappings().all()
        found = {(row["idempotency_scope"], row["idempotency_key"]): row for row in rows}
        results: dict[int, SubmissionResult] = {}
        for index, submission in enumerate(submissions):
            row = found.get((submission.idempotency_scope, submission.idempotency_key))
            if row is None:
                continue
            if row["idempotency_fingerprint"] != submission.fingerprint:
                results[index] = Refused("IDEMPOTENCY_KEY_REUSED", ("idempotencyKey",), KEY_REUSED)
            else:
                results[index] = Accepted(appointment_from_row(row), created=False)
        return results

    async def _patient_id(self, who: PatientBySubject | PatientByEmail) -> UUID | None:
        if isinstance(who, PatientBySubject):
            found = await self._scalar(
                select(patients.c.id).where(patients.c.subject == who.subject)
            )
            if found is not None or who.profile is None:
                return found
            await self._add_patient(who.profile, who.subject)
            return await self._scalar(
                select(patients.c.id).where(patients.c.subject == who.subject)
            )
        email = who.profile.email.lower()
        by_email = select(patients.c.id).where(func.lower(patients.c.email) == email)
        found = await self._scalar(by_email)
        if found is None:
            await self._add_patient(who.profile, None)
            found = await self._scalar(by_email)
        return found

    async def _add_patient(self, profile: PatientProfile, subject: str | None) -> None:
        row = {
            "id": uuid7(),
            "subject": subject,
            "name": profile.name.strip(),
            "email": profile.email,
            "phone": profile.phone,
            "created_at": self.at,
            "updated_at": self.at,
        }
        await self.connection.execute(_insert_ignoring_conflicts(patients, self.dialect), [row])

    async def _scalar(self, query: Any) -> UUID | None:
        found: UUID | None = (await self.connection.execute(query)).scalar_one_or_none()
        return found

    async def _insert(self, ready: list[tuple[int, Submission]]) -> dict[UUID, StatusEvent]:
        """One multi-row insert per table; rows whose idempotency key a concurrent
        request took meanwhile are skipped by the unique index, not failed. Answers the
        first event of each appointment created, with the sequence the database gave it."""
        if not ready:
            return {}
        statement = (
            _insert_ignoring_conflicts(appointments, self.dialect)
            .values([_appointment_row(s) for _, s in ready])
            .returning(appointments.c.id)
        )
        created = set((await self.connection.execute(statement)).scalars().all())
        kept = [s.appointment for _, s in ready if s.appointment.id in created]
        if not kept:
            return {}
        firsts = {a.id: _first_event(a) for a in kept}
        await hold_event_order(self.connection)
        numbered = insert(appointment_events).values([event_to_row(e) for e in firsts.values()])
        sequences = await self.connection.execute(
            numbered.returning(appointment_events.c.appointment_id, appointment_events.c.id)
        )
        await self.connection.execute(
            insert(outbox).values([_outbox_row(a, self.at) for a in kept])
        )
        return {key: replace(firsts[key], sequence=sequence) for key, sequence in sequences.all()}


def _for_patient(submission: Submission, patient_id: UUID) -> Submission:
    return replace(submission, appointment=replace(submission.appointment, patient_id=patient_id))


def _appointment_row(submission: Submission) -> dict[str, Any]:
    return {
        **appointment_to_row(submission.appointment),
        "idempotency_scope": submission.idempotency_scope if submission.idempotency_key else None,
        "idempotency_key": submission.idempotency_key,
        "idempotency_fingerprint": submission.fingerprint if submission.idempotency_key else None,
    }


def _first_event(appointment: Appointment) -> StatusEvent:
    return StatusEvent(
        appointment_id=appointment.id,
        version=1,
        status=AppointmentStatus.PENDING,
        previous_status=None,
        occurred_at=appointment.created_at,
        request_id=appointment.request_id,
    )


def _outbox_row(appointment: Appointment, at: datetime) -> dict[str, Any]:
    return {
        "topic": REQUESTED_TOPIC,
        "message_group": str(appointment.psychologist_id),
        "payload": {"appointment_id": str(appointment.id), "request_id": appointment.request_id},
        "request_id": appointment.request_id,
        "created_at": at,
    }
