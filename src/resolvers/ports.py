"""What the resolvers need from the outside world, as small protocols."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.appointments import Appointment, StatusEvent
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    Page,
    PageRequest,
    PsychologistFilter,
)
from domain.people import Patient, Psychologist
from domain.requests import PatientProfile
from domain.schedule import Interval
from domain.viewer import Viewer


class AppointmentReads(Protocol):
    async def page(
        self,
        viewer: Viewer,
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        *,
        with_total: bool,
    ) -> Page[Appointment]: ...

    async def by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Appointment]: ...

    async def histories(self, ids: Sequence[UUID]) -> dict[UUID, list[StatusEvent]]: ...

    async def busy_intervals(self, psychologist_id: UUID, window: Interval) -> list[Interval]: ...


class PeopleReads(Protocol):
    async def psychologists_page(
        self, wanted: PsychologistFilter, page: PageRequest, *, with_total: bool
    ) -> Page[Psychologist]: ...

    async def psychologists_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Psychologist]: ...

    async def psychologist_by_subject(self, subject: str) -> Psychologist | None: ...

    async def patients_by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Patient]: ...

    async def patient_by_subject(self, subject: str) -> Patient | None: ...


@dataclass(frozen=True, slots=True)
class PatientBySubject:
    """A patient booking for themselves: their token's subject, and maybe a profile."""

    subject: str
    profile: PatientProfile | None


@dataclass(frozen=True, slots=True)
class PatientByEmail:
    """Staff booking on someone's behalf: the patient is found or created by email."""

    profile: PatientProfile


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated request. ``appointment.patient_id`` is filled in by the store."""

    appointment: Appointment
    patient: PatientBySubject | PatientByEmail
    idempotency_scope: str | None
    idempotency_key: str | None
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Accepted:
    appointment: Appointment
    created: bool
    # The PENDING event, for a request stored just now; None for an idempotent replay.
    event: StatusEvent | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    code: str  # "IDEMPOTENCY_KEY_REUSED" or "INVALID_INPUT"
    path: tuple[str, ...]
    message: str


SubmissionResult = Accepted | Refused


@dataclass(frozen=True, slots=True)
class Cancelled:
    appointment: Appointment
    event: StatusEvent


@dataclass(frozen=True, slots=True)
class CancelRefused:
    code: str  # "NOT_FOUND" or "INVALID_STATE"
    message: str


class AppointmentWrites(Protocol):
    async def cancel(
        self,
        viewer: Viewer,
        appointment_id: UUID,
        *,
        reason: str | None,
        at: datetime,
        request_id: str,
    ) -> Cancelled | CancelRefused: ...


class BookingStore(Protocol):
    async def confirmed_overlaps(self, wanted: Sequence[tuple[UUID, Interval]]) -> set[int]: ...

    async def submit(
        self, submissions: Sequence[Submission], *, at: datetime
    ) -> list[SubmissionResult]: ...


class StatusEventPublisher(Protocol):
    async def publish(self, appointment: Appointment, event: StatusEvent) -> None:
        """Tell live subscribers about a change that is already committed."""
        ...


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Viewer:
        """The viewer behind the header, or ``domain.viewer.InvalidCredentials``."""
        ...


class EventHistory(Protocol):
    """The stored status history, read the way subscriptions need it, scoped by viewer."""

    async def latest(self, viewer: Viewer, appointment_id: UUID) -> StatusEvent | None:
        """The newest event of an appointment the viewer may read, else None."""
        ...

    async def after(
        self, viewer: Viewer, sequence: int, *, psychologist_id: UUID | None, limit: int
    ) -> list[StatusEvent]:
        """Up to ``limit`` visible events with a greater sequence, in sequence order."""
        ...


class StreamInterrupted(Exception):
    """The connection to the broker was lost: live events may have been missed."""


class SubscriberTooSlow(Exception):
    """The subscriber's buffer overflowed: it must resume from its last cursor."""


class EventStream(Protocol):
    """Pub/sub fan-out of committed events (Redis in the full stack, in-process embedded).

    ``subscribe`` returns once the broker has confirmed the subscription, so that
    anything published after it returns is delivered. Iterating yields messages in
    publish order, raises ``StreamInterrupted`` if the broker connection drops and
    ``SubscriberTooSlow`` once more than the buffer's worth is waiting unread.
    """

    def subscribe(
        self, channels: Sequence[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]: ...

    async def publish(self, channel: str, message: bytes) -> int: ...
