"""What a reader asks for when listing: filters, orderings and keyset page requests."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from domain.appointments import AppointmentStatus, AppointmentType

T = TypeVar("T")
SortValue = datetime | str
# A position in an ordering: the order field's value, then the id that breaks ties.
Key = tuple[SortValue, UUID]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class AppointmentOrderField(StrEnum):
    SCHEDULED_AT = "SCHEDULED_AT"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    STATUS = "STATUS"


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class AppointmentOrder:
    field: AppointmentOrderField = AppointmentOrderField.SCHEDULED_AT
    direction: OrderDirection = OrderDirection.ASC


@dataclass(frozen=True, slots=True)
class AppointmentFilter:
    patient_id: UUID | None = None
    psychologist_id: UUID | None = None
    statuses: tuple[AppointmentStatus, ...] = ()
    appointment_types: tuple[AppointmentType, ...] = ()
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    is_paid: bool | None = None


@dataclass(frozen=True, slots=True)
class PsychologistFilter:
    """``specialty`` and ``specialties`` match any of them, in any case; ``language`` too."""

    specialty: str | None = None
    active: bool | None = None
    name_contains: str | None = None
    specialties: tuple[str, ...] = ()
    language: str | None = None

    @property
    def any_specialty(self) -> tuple[str, ...]:
        named = (self.specialty,) if self.specialty else ()
        return tuple(dict.fromkeys(s.casefold() for s in (*named, *self.specialties)))


class PsychologistOrderField(StrEnum):
    NAME = "NAME"
    NEXT_AVAILABLE = "NEXT_AVAILABLE"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``size`` rows after ``after`` (or, when ``backwards``, before ``before``)."""

    size: int = DEFAULT_PAGE_SIZE
    backwards: bool = False
    after: Key | None = None
    before: Key | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next: bool
    has_previous: bool
    total: int | None = field(default=None)


@dataclass(frozen=True, slots=True)
class PageColumns:
    """Which attributes a page of appointments reads, by name: the appointment's own, and
    its patient's and psychologist's (None: that person is not read at all). Only what a
    client selected is read; the rows come back as plain tuples in this order."""

    appointment: tuple[str, ...]
    patient: tuple[str, ...] | None = None
    psychologist: tuple[str, ...] | None = None

    @property
    def width(self) -> int:
        return len(self.appointment) + len(self.patient or ()) + len(self.psychologist or ())


@dataclass(frozen=True, slots=True)
class RowsPage:
    """A page of plain rows: each holds the ``PageColumns`` in order, then the ordering's
    value and the id (the row's cursor key)."""

    rows: Sequence[Sequence[object]]
    has_next: bool
    has_previous: bool
    total: int | None = None
