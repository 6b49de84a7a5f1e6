"""The unit of work: one transaction, the stores a use case reaches through it, and what it
announces once committed. The ports are small protocols; the adapters live in infra."""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.changes import Announcement, StatusChange
from application.commands import ArchiveDeadLetter
from application.live_updates import LiveUpdates, publish_committed
from application.practice_ports import Audit, Calendars, Profiles
from domain.appointments import Appointment, StatusEvent
from domain.bookings import Booked
from domain.payments import Payment, PaymentKind
from domain.people import Patient
from domain.schedule import Interval
from domain.series import Series
from domain.viewer import Viewer

# (scope, key): the caller's subject and the key they chose.
IdempotencyKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Idempotency:
    scope: str
    key: str
    # What was asked, so that a key used again for something else is told apart.
    fingerprint: str


@dataclass(frozen=True, slots=True)
class NewAppointment:
    appointment: Appointment
    first_event: StatusEvent
    idempotency: Idempotency | None = None


@dataclass(frozen=True, slots=True)
class Keyed:
    """An appointment stored earlier under an idempotency key."""

    appointment: Appointment
    fingerprint: str | None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message for the queue, written in the same transaction as the change it follows;
    messages of one ``group`` are delivered in order."""

    topic: str
    group: str
    payload: Mapping[str, str | None]
    request_id: str | None
    # Not sent before this instant (a deadline to check), else at once.
    available_at: datetime | None = None


class Appointments(Protocol):
    async def get(
        self, appointment_id: UUID, *, visible_to: Viewer | None = None, hold: bool = True
    ) -> Appointment | None:
        """The appointment, held (unless not ``hold``) until the unit of work ends; None when
        there is none (or, given ``visible_to``, none that viewer may see)."""
        ...

    async def add(self, new: Sequence[NewAppointment]) -> list[StatusChange]:
        """Store appointments with their first events. One whose idempotency key is
        already taken is skipped; the changes stored come back in input order."""
        ...

    async def record(self, changed: Appointment, event: StatusEvent) -> StatusChange:
        """Store a change made by ``Appointment.transition`` with its event.

        Raises ``domain.errors.SlotTaken`` when the database refuses an overlapping
        CONFIRMED pair, ``StaleAppointment`` when the stored version is not the one
        changed. Either leaves the unit of work unusable: it can only be left.
        """
        ...

    async def keyed(self, keys: Sequence[IdempotencyKey]) -> dict[IdempotencyKey, Keyed]: ...

    async def release_keys(self, keys: Sequence[IdempotencyKey]) -> None:
        """Free these keys for new requests; the appointments that held them stay as they are."""
        ...

    async def pending_counts(self, patient_ids: Sequence[UUID]) -> dict[UUID, int]:
        """How many PENDING appointments each patient has, the patients held until the unit
        of work ends (so that two requests of one patient count one after the other)."""
        ...

    async def confirmed_bookings(self, wanted: Mapping[UUID, Interval]) -> dict[UUID, list[Booked]]:
        """Each psychologist's CONFIRMED sessions whose held time meets their period."""
        ...

    async def psychologist_confirmed(
        self, psychologist_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Booked]: ...

    async def patient_confirmed(
        self, patient_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Interval]: ...

    async def blocking_during(self, psychologist_id: UUID, period: Interval) -> list[Appointment]:
        """The psychologist's PENDING and CONFIRMED sessions that meet ``period``, held until
        the unit of work ends, by start."""
        ...


class SeriesStore(Protocol):
    async def add(self, series: Series, idempotency: Idempotency | None) -> bool:
        """Store a new series; False (and nothing stored) when its key is already taken."""
        ...

    async def keyed(self, scope: str, key: str) -> tuple[Series, str | None] | None:
        """The series stored earlier under this key, with what was asked then."""
        ...

    async def get(self, series_id: UUID, *, visible_to: Viewer) -> Series | None: ...

    async def occurrences(self, series_id: UUID) -> list[Appointment]:
        """Its appointments, held until the unit of work ends, in order."""
        ...


class Payments(Protocol):
    async def add(self, payment: Payment) -> None: ...

    async def find(
        self, appointment_id: UUID, kind: PaymentKind, reference: str
    ) -> Payment | None: ...


class People(Protocol):
    async def lock_patient(self, patient_id: UUID) -> None: ...

    async def patient_id(
        self, *, subject: str | None = None, email: str | None = None
    ) -> UUID | None:
        """The patient with this subject, or this email (any case)."""
        ...

    async def add_patient(self, patient: Patient, *, at: datetime) -> bool:
        """Add a patient; False (and nothing happens) when the subject or email is taken."""
        ...

    async def patient_ids_by_email(self, emails: Sequence[str]) -> dict[str, UUID]:
        """The patients with these emails (normalised, as ``normal_email`` gives them), by
        email; an email nobody has is left out. One query, however many."""
        ...

    async def add_patients(self, patients: Sequence[Patient], *, at: datetime) -> set[UUID]:
        """Add patients in one statement; the ids of those added (a patient whose subject or
        email is taken is not)."""
        ...


class Outbox(Protocol):
    async def add(self, messages: Sequence[OutboxMessage], *, at: datetime) -> None: ...


class DeadLetters(Protocol):
    async def keep(self, letter: ArchiveDeadLetter, *, at: datetime) -> None:
        """Record the letter, once per message id."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Nothing is kept unless ``commit`` is called; leaving without it
    rolls everything back."""

    @property
    def appointments(self) -> Appointments: ...

    @property
    def people(self) -> People: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def dead_letters(self) -> DeadLetters: ...

    @property
    def series(self) -> SeriesStore: ...

    @property
    def payments(self) -> Payments: ...

    @property
    def calendars(self) -> Calendars: ...

    @property
    def profiles(self) -> Profiles: ...

    @property
    def audit(self) -> Audit: ...

    async def commit(self) -> None: ...

    def committed(self) -> Sequence[Announcement]:
        """What this unit of work changed, to announce live, once it has committed."""
        ...


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


class Transactions:
    """Opens the use cases' units of work, and publishes what each committed once it is
    over: every use case announces its changes the same way."""

    def __init__(self, start: UnitOfWorkFactory, live: LiveUpdates) -> None:
        self._start = start
        self._live = live

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        async with self._start() as unit:
            yield unit
        await publish_committed(self._live, unit.committed())
