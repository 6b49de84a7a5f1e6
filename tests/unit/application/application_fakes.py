"""In-memory fakes of the application layer's ports: a database whose units of work see a
copy of it and write it back on commit, and a LiveUpdates that records what it was told."""

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from application.changes import StatusChange
from application.commands import ArchiveDeadLetter
from application.errors import StaleAppointment
from application.unit_of_work import IdempotencyKey, Keyed, NewAppointment, OutboxMessage
from domain.appointments import Appointment, AppointmentStatus, StatusEvent
from domain.errors import SlotTaken
from domain.people import Patient, Psychologist
from domain.schedule import Interval
from domain.viewer import Role, Viewer


@dataclass
class Tables:
    psychologists: dict[UUID, Psychologist] = field(default_factory=dict)
    patients: dict[UUID, Patient] = field(default_factory=dict)
    appointments: dict[UUID, Appointment] = field(default_factory=dict)
    keys: dict[IdempotencyKey, tuple[UUID, str]] = field(default_factory=dict)
    events: list[StatusEvent] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    dead_letters: dict[str, tuple[ArchiveDeadLetter, datetime]] = field(default_factory=dict)


class FakeAppointments:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    @property
    def _tables(self) -> Tables:
        return self._unit.tables

    async def get(
        self, appointment_id: UUID, *, visible_to: Viewer | None = None
    ) -> Appointment | None:
        found = self._tables.appointments.get(appointment_id)
        if found is None or (visible_to is not None and not self._visible(found, visible_to)):
            return None
        self._unit.locks.append(("appointment", appointment_id))
        return found

    def _visible(self, appointment: Appointment, viewer: Viewer) -> bool:
        if viewer.role is Role.ADMIN:
            return True
        if viewer.role is Role.PATIENT:
            patient = self._tables.patients.get(appointment.patient_id)
            return patient is not None and patient.subject == viewer.subject
        psychologist = self._tables.psychologists.get(appointment.psychologist_id)
        return psychologist is not None and psychologist.subject == viewer.subject

    async def add(self, new: Sequence[NewAppointment]) -> list[StatusChange]:
        stored = []
        for item in new:
            key = item.idempotency
            if key is not None:
                if (key.scope, key.key) in self._tables.keys:
                    continue
                self._tables.keys[(key.scope, key.key)] = (item.appointment.id, key.fingerprint)
            self._tables.appointments[item.appointment.id] = item.appointment
            stored.append(StatusChange(item.appointment, self._append(item.first_event)))
        self._unit.stored.extend(stored)
        return stored

    async def record(self, changed: Appointment, event: StatusEvent) -> StatusChange:
        current = self._tables.appointments[changed.id]
        if current.version != changed.version - 1:
            raise StaleAppointment(str(changed.id))
        if changed.status is AppointmentStatus.CONFIRMED and (
            self._unit.refuses_confirmations
            or any(
                other.interval.overlaps(changed.interval)
                for other in self._confirmed(changed.psychologist_id, None, changed.id)
            )
        ):
            # What the exclusion constraint does.
            raise SlotTaken(str(changed.id))
        self._tables.appointments[changed.id] = changed
        change = StatusChange(changed, self._append(event))
        self._unit.stored.append(change)
        return change

    def _append(self, event: StatusEvent) -> StatusEvent:
        numbered = replace(event, sequence=len(self._tables.events) + 1)
        self._tables.events.append(numbered)
        return numbered

    async def keyed(self, keys: Sequence[IdempotencyKey]) -> dict[IdempotencyKey, Keyed]:
        found = {}
        for key in keys:
            if key in self._tables.keys:
                appointment_id, fingerprint = self._tables.keys[key]
                found[key] = Keyed(self._tables.appointments[appointment_id], fingerprint)
        return found

    async def confirmed_overlaps(self, wanted: Sequence[tuple[UUID, Interval]]) -> set[int]:
        return {
            index
            for index, (psychologist_id, interval) in enumerate(wanted)
            if any(
                other.interval.overlaps(interval)
                for other in self._confirmed(psychologist_id, None, None)
            )
        }

    async def psychologist_confirmed(
        self, psychologist_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Interval]:
        found = self._confirmed(psychologist_id, None, excluding)
        return [a.interval for a in found if a.interval.overlaps(around)]

    async def patient_confirmed(
        self, patient_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Interval]:
        found = self._confirmed(None, patient_id, excluding)
        return [a.interval for a in found if a.interval.overlaps(around)]

    def _confirmed(
        self, psychologist_id: UUID | None, patient_id: UUID | None, excluding: UUID | None
    ) -> list[Appointment]:
        return [
            a
            for a in self._tables.appointments.values()
            if a.status is AppointmentStatus.CONFIRMED
            and a.id != excluding
            and psychologist_id in (None, a.psychologist_id)
            and patient_id in (None, a.patient_id)
        ]


class FakePeople:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def psychologists(self, ids: Sequence[UUID]) -> dict[UUID, Psychologist]:
        known = self._unit.tables.psychologists
        return {key: known[key] for key in ids if key in known}

    async def lock_psychologist(self, psychologist_id: UUID) -> Psychologist | None:
        self._unit.locks.append(("psychologist", psychologist_id))
        return self._unit.tables.psychologists.get(psychologist_id)

    async def lock_patient(self, patient_id: UUID) -> None:
        self._unit.locks.append(("patient", patient_id))

    async def patient_id(
        self, *, subject: str | None = None, email: str | None = None
    ) -> UUID | None:
        for patient in self._unit.tables.patients.values():
            if subject is not None and patient.subject == subject:
                return patient.id
            if email is not None and patient.email.lower() == email.lower():
                return patient.id
        return None

    async def add_patient(self, patient: Patient, *, at: datetime) -> None:
        taken = await self.patient_id(email=patient.email)
        if taken is None and patient.subject is not None:
            taken = await self.patient_id(subject=patient.subject)
        if taken is None:
            self._unit.tables.patients[patient.id] = patient


class FakeOutbox:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def add(self, messages: Sequence[OutboxMessage], *, at: datetime) -> None:
        self._unit.tables.outbox.extend(messages)


class FakeDeadLetters:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def keep(self, letter: ArchiveDeadLetter, *, at: datetime) -> None:
        self._unit.tables.dead_letters.setdefault(letter.message_id, (letter, at))


class FakeUnitOfWork:
    def __init__(self, database: "FakeDatabase") -> None:
        self._database = database
        self.tables = copy.deepcopy(database.tables)
        self.stored: list[StatusChange] = []
        self.locks: list[tuple[str, UUID]] = []
        self.committed_once = False
        self.refuses_confirmations = database.refuse_confirmations
        self.appointments = FakeAppointments(self)
        self.people = FakePeople(self)
        self.outbox = FakeOutbox(self)
        self.dead_letters = FakeDeadLetters(self)

    async def commit(self) -> None:
        self._database.tables = self.tables
        self._database.commits += 1
        self.committed_once = True

    def committed(self) -> Sequence[StatusChange]:
        return list(self.stored) if self.committed_once else []


class FakeDatabase:
    """What units of work share; each unit sees a copy and writes it back on commit."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0
        self.units: list[FakeUnitOfWork] = []
        # As if another writer always held the time: every confirmation is refused.
        self.refuse_confirmations = False

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeUnitOfWork]:
        unit = FakeUnitOfWork(self)
        self.units.append(unit)
        yield unit


class Published:
    """A LiveUpdates that keeps what it was told, and when: how many commits had happened."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self.changes: list[StatusChange] = []
        self.commits_seen: list[int] = []

    async def publish(self, change: StatusChange) -> None:
        self.changes.append(change)
        self.commits_seen.append(self._database.commits)
