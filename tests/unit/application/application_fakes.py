"""In-memory fakes of the application layer's ports: a database whose units of work see a
copy of it and write it back on commit, and a LiveUpdates that records what it was told."""

import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from application.changes import Announcement, ScheduleChange, StatusChange
from application.commands import ArchiveDeadLetter
from application.errors import StaleAppointment
from application.practice_ports import AuditEntry
from application.unit_of_work import (
    Idempotency,
    IdempotencyKey,
    Keyed,
    NewAppointment,
    OutboxMessage,
)
from domain.appointments import BLOCKING_STATUSES, Appointment, AppointmentStatus, StatusEvent
from domain.booking_settings import BookingSettings
from domain.bookings import Booked
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.errors import SlotTaken
from domain.lifecycle import SessionPolicy
from domain.payments import Payment, PaymentKind
from domain.people import Patient, Psychologist
from domain.schedule import Interval
from domain.series import Series
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
    weekly: dict[UUID, list[WeeklyHours]] = field(default_factory=dict)
    extra_hours: dict[UUID, list[ExtraHours]] = field(default_factory=dict)
    time_off: dict[UUID, list[TimeOff]] = field(default_factory=dict)
    settings: dict[UUID, BookingSettings] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    session_policies: dict[UUID, SessionPolicy] = field(default_factory=dict)
    series: dict[UUID, tuple[Series, Idempotency | None]] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)

    def calendar(self, psychologist_id: UUID) -> Calendar | None:
        psychologist = self.psychologists.get(psychologist_id)
        if psychologist is None:
            return None
        return Calendar(
            psychologist,
            changes=tuple(
                sorted(self.weekly.get(psychologist_id, []), key=lambda w: w.effective_from)
            ),
            extra_hours=tuple(self.extra_hours.get(psychologist_id, [])),
            time_off=tuple(self.time_off.get(psychologist_id, [])),
            settings=self.settings.get(psychologist_id, BookingSettings()),
            session_policy=self.session_policies.get(psychologist_id, SessionPolicy()),
        )


class FakeAppointments:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    @property
    def _tables(self) -> Tables:
        return self._unit.tables

    async def get(
        self, appointment_id: UUID, *, visible_to: Viewer | None = None, hold: bool = True
    ) -> Appointment | None:
        found = self._tables.appointments.get(appointment_id)
        if found is None or (visible_to is not None and not self._visible(found, visible_to)):
            return None
        if hold:
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
        if changed.holds_slot and (
            (self._unit.refuses_confirmations and changed.status is AppointmentStatus.CONFIRMED)
            or any(
                other.blocked.overlaps(changed.blocked)
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

    async def release_keys(self, keys: Sequence[IdempotencyKey]) -> None:
        for key in keys:
            self._tables.keys.pop(key, None)

    async def pending_counts(self, patient_ids: Sequence[UUID]) -> dict[UUID, int]:
        counts = dict.fromkeys(patient_ids, 0)
        for appointment in self._tables.appointments.values():
            if appointment.patient_id in counts and appointment.status is AppointmentStatus.PENDING:
                counts[appointment.patient_id] += 1
        return counts

    async def confirmed_bookings(self, wanted: Mapping[UUID, Interval]) -> dict[UUID, list[Booked]]:
        return {
            key: [
                Booked(a.scheduled_at, a.blocked)
                for a in self._confirmed(key, None, None)
                if a.blocked.overlaps(period)
            ]
            for key, period in wanted.items()
        }

    async def psychologist_confirmed(
        self, psychologist_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Booked]:
        found = self._confirmed(psychologist_id, None, excluding)
        return [Booked(a.scheduled_at, a.blocked) for a in found if a.blocked.overlaps(around)]

    async def patient_confirmed(
        self, patient_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Interval]:
        found = self._confirmed(None, patient_id, excluding)
        return [a.interval for a in found if a.interval.overlaps(around)]

    async def blocking_during(self, psychologist_id: UUID, period: Interval) -> list[Appointment]:
        found = [
            a
            for a in self._tables.appointments.values()
            if a.psychologist_id == psychologist_id
            and a.status in BLOCKING_STATUSES
            and a.interval.overlaps(period)
        ]
        for appointment in found:
            self._unit.locks.append(("appointment", appointment.id))
        return sorted(found, key=lambda a: (a.scheduled_at, a.id))

    def _confirmed(
        self, psychologist_id: UUID | None, patient_id: UUID | None, excluding: UUID | None
    ) -> list[Appointment]:
        return [
            a
            for a in self._tables.appointments.values()
            if a.holds_slot
            and a.id != excluding
            and psychologist_id in (None, a.psychologist_id)
            and patient_id in (None, a.patient_id)
        ]


class FakePeople:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

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

    async def add_patient(self, patient: Patient, *, at: datetime) -> bool:
        taken = await self.patient_id(email=patient.email)
        if taken is None and patient.subject is not None:
            taken = await self.patient_id(subject=patient.subject)
        if taken is None:
            self._unit.tables.patients[patient.id] = patient
        return taken is None

    async def patient_ids_by_email(self, emails: Sequence[str]) -> dict[str, UUID]:
        return {
            patient.email.lower(): patient.id
            for patient in self._unit.tables.patients.values()
            if patient.email.lower() in emails
        }

    async def add_patients(self, patients: Sequence[Patient], *, at: datetime) -> set[UUID]:
        return {patient.id for patient in patients if await self.add_patient(patient, at=at)}


class FakeCalendars:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    @property
    def _tables(self) -> Tables:
        return self._unit.tables

    async def calendars(self, ids: list[UUID], around: Interval) -> dict[UUID, Calendar]:
        found = {key: self._tables.calendar(key) for key in ids}
        return {key: calendar for key, calendar in found.items() if calendar is not None}

    async def lock(self, psychologist_id: UUID, around: Interval) -> Calendar | None:
        self._unit.locks.append(("psychologist", psychologist_id))
        return self._tables.calendar(psychologist_id)

    async def set_weekly_hours(
        self, psychologist_id: UUID, weekly: WeeklyHours, *, at: datetime
    ) -> None:
        kept = [
            w
            for w in self._tables.weekly.get(psychologist_id, [])
            if w.effective_from != weekly.effective_from
        ]
        self._tables.weekly[psychologist_id] = [*kept, weekly]
        self._unit.announce(psychologist_id)

    async def add_extra_hours(
        self, psychologist_id: UUID, extra: ExtraHours, *, at: datetime
    ) -> None:
        self._tables.extra_hours.setdefault(psychologist_id, []).append(extra)
        self._unit.announce(psychologist_id)

    async def remove_extra_hours(self, psychologist_id: UUID, extra_id: UUID) -> ExtraHours | None:
        listed = self._tables.extra_hours.get(psychologist_id, [])
        found = next((e for e in listed if e.id == extra_id), None)
        if found is not None:
            listed.remove(found)
            self._unit.announce(psychologist_id)
        return found

    async def add_time_off(self, psychologist_id: UUID, off: TimeOff, *, at: datetime) -> None:
        self._tables.time_off.setdefault(psychologist_id, []).append(off)
        self._unit.announce(psychologist_id)

    async def remove_time_off(self, psychologist_id: UUID, off_id: UUID) -> TimeOff | None:
        listed = self._tables.time_off.get(psychologist_id, [])
        found = next((o for o in listed if o.id == off_id), None)
        if found is not None:
            listed.remove(found)
            self._unit.announce(psychologist_id)
        return found

    async def set_settings(
        self, psychologist_id: UUID, settings: BookingSettings, *, at: datetime
    ) -> None:
        self._tables.settings[psychologist_id] = settings
        self._unit.announce(psychologist_id)

    async def set_session_policy(
        self, psychologist_id: UUID, policy: SessionPolicy, *, at: datetime
    ) -> None:
        self._tables.session_policies[psychologist_id] = policy


class FakeSeries:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def add(self, series: Series, idempotency: Idempotency | None) -> bool:
        taken = idempotency is not None and any(
            key is not None and (key.scope, key.key) == (idempotency.scope, idempotency.key)
            for _, key in self._unit.tables.series.values()
        )
        if not taken:
            self._unit.tables.series[series.id] = (series, idempotency)
        return not taken

    async def keyed(self, scope: str, key: str) -> tuple[Series, str | None] | None:
        for series, idempotency in self._unit.tables.series.values():
            if idempotency is not None and (idempotency.scope, idempotency.key) == (scope, key):
                return series, idempotency.fingerprint
        return None

    async def get(self, series_id: UUID, *, visible_to: Viewer) -> Series | None:
        found = self._unit.tables.series.get(series_id)
        if found is None:
            return None
        series = found[0]
        tables = self._unit.tables
        if visible_to.role is Role.PATIENT:
            patient = tables.patients.get(series.patient_id)
            return series if patient is not None and patient.subject == visible_to.subject else None
        if visible_to.role is Role.PSYCHOLOGIST:
            psychologist = tables.psychologists.get(series.psychologist_id)
            mine = psychologist is not None and psychologist.subject == visible_to.subject
            return series if mine else None
        return series

    async def occurrences(self, series_id: UUID) -> list[Appointment]:
        found = [a for a in self._unit.tables.appointments.values() if a.series_id == series_id]
        return sorted(found, key=lambda a: a.series_index or 0)


class FakePayments:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def add(self, payment: Payment) -> None:
        self._unit.tables.payments.append(payment)

    async def find(self, appointment_id: UUID, kind: PaymentKind, reference: str) -> Payment | None:
        for payment in self._unit.tables.payments:
            if (payment.appointment_id, payment.kind, payment.reference) == (
                appointment_id,
                kind,
                reference,
            ):
                return payment
        return None


class FakeProfiles:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def psychologist(self, psychologist_id: UUID) -> Psychologist | None:
        self._unit.locks.append(("psychologist", psychologist_id))
        return self._unit.tables.psychologists.get(psychologist_id)

    async def add_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        if self._taken(psychologist):
            return False
        self._unit.tables.psychologists[psychologist.id] = psychologist
        return True

    async def update_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        if self._taken(psychologist):
            return False
        self._unit.tables.psychologists[psychologist.id] = psychologist
        self._unit.announce(psychologist.id)
        return True

    def _taken(self, psychologist: Psychologist) -> bool:
        return any(
            other.id != psychologist.id
            and (
                other.email.lower() == psychologist.email.lower()
                or (psychologist.subject is not None and other.subject == psychologist.subject)
            )
            for other in self._unit.tables.psychologists.values()
        )

    async def patient(self, patient_id: UUID) -> Patient | None:
        return self._unit.tables.patients.get(patient_id)

    async def update_patient(self, patient: Patient, *, at: datetime) -> None:
        self._unit.tables.patients[patient.id] = patient


class FakeAudit:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def record(self, entry: AuditEntry) -> None:
        self._unit.tables.audit.append(entry)


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
        self.stored: list[Announcement] = []
        self.locks: list[tuple[str, UUID]] = []
        self.committed_once = False
        self.refuses_confirmations = database.refuse_confirmations
        self.appointments = FakeAppointments(self)
        self.people = FakePeople(self)
        self.outbox = FakeOutbox(self)
        self.dead_letters = FakeDeadLetters(self)
        self.calendars = FakeCalendars(self)
        self.profiles = FakeProfiles(self)
        self.audit = FakeAudit(self)
        self.series = FakeSeries(self)
        self.payments = FakePayments(self)

    def announce(self, psychologist_id: UUID) -> None:
        change = ScheduleChange(psychologist_id)
        if change not in self.stored:
            self.stored.append(change)

    async def commit(self) -> None:
        self._database.tables = self.tables
        self._database.commits += 1
        self.committed_once = True

    def committed(self) -> Sequence[Announcement]:
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
        self.schedules: list[ScheduleChange] = []
        self.commits_seen: list[int] = []

    async def publish(self, change: Announcement) -> None:
        if isinstance(change, StatusChange):
            self.changes.append(change)
        else:
            self.schedules.append(change)
        self.commits_seen.append(self._database.commits)
