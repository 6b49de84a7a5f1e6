"""What the callers ask the use cases to do: imperative, plain data, ids not objects."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.requests import AppointmentRequest, InputProblem
from domain.viewer import Viewer

# An item as the caller sent it: a request, or why it could not even be read.
RequestItem = AppointmentRequest | list[InputProblem]


@dataclass(frozen=True, slots=True)
class RequestAppointments:
    """One or more requests of one caller, each accepted or refused on its own."""

    viewer: Viewer
    items: Sequence[RequestItem]
    request_id: str


@dataclass(frozen=True, slots=True)
class DecideAppointment:
    """Confirm or reject a PENDING request: what the worker reads from a queue message."""

    appointment_id: UUID
    request_id: str | None


@dataclass(frozen=True, slots=True)
class RejectFailedRequest:
    """Reject a PENDING request that could not be decided (PROCESSING_FAILED); with
    ``new_time``, refuse only that new time, which is what could not be decided."""

    appointment_id: UUID
    request_id: str | None
    new_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelAppointment:
    viewer: Viewer
    appointment_id: UUID
    reason: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class ArchiveDeadLetter:
    """Keep a letter the dead-letter queue gave up on; ``appointment_id`` when its body
    could be read, and then its request is rejected with PROCESSING_FAILED."""

    message_id: str
    group: str | None
    body: str
    attributes: Mapping[str, str]
    request_id: str | None
    receive_count: int
    appointment_id: UUID | None
    reason: str
    # Set when the letter asked for a new time: only that is refused.
    new_time: datetime | None = None
