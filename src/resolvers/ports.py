"""What the resolvers read from the outside world, as small protocols (writes go through
the use cases of the application layer)."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from application.practice_ports import RecordedChange
from domain.appointments import Appointment, StatusEvent
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    Page,
    PageColumns,
    PageRequest,
    PsychologistFilter,
    RowsPage,
)
from domain.payments import Payment
from domain.people import Patient, Psychologist
from domain.schedule import Interval
from domain.series import Series
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

    async def page_rows(
        self,
        viewer: Viewer,
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        columns: PageColumns,
        *,
        with_total: bool,
    ) -> RowsPage:
        """The page as plain rows of only ``columns``, people joined, in one statement."""
        ...

    async def rows_by_ids(
        self, viewer: Viewer, ids: Sequence[UUID], columns: PageColumns
    ) -> dict[UUID, Sequence[object]]:
        """The visible appointments among ``ids`` as plain rows of ``columns``."""
        ...

    async def pages_by_parent(
        self,
        viewer: Viewer,
        parent: str,
        parent_ids: Sequence[UUID],
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        columns: PageColumns,
        *,
        with_total: bool,
    ) -> dict[UUID, RowsPage]:
        """The page under each ``patient`` or ``psychologist`` of ``parent_ids``, in one
        statement whatever their number."""
        ...

    async def pages_of_parents(
        self,
        viewer: Viewer,
        parent: str,
        parent_ids: Sequence[UUID],
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        *,
        with_total: bool,
    ) -> dict[UUID, Page[Appointment]]:
        """``pages_by_parent`` with whole appointments."""
        ...

    async def by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Appointment]: ...

    async def histories(self, ids: Sequence[UUID]) -> dict[UUID, list[StatusEvent]]: ...

    async def busy_intervals(
        self, psychologist_ids: Sequence[UUID], window: Interval
    ) -> dict[UUID, list[Booked]]: ...


class LifecycleReads(Protocol):
    async def series_by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Series]:
        """The series among ``ids`` the viewer may see."""
        ...

    async def occurrences(self, viewer: Viewer, series_id: UUID) -> list[Appointment]:
        """The series' appointments the viewer may see, in order."""
        ...

    async def payments(self, ids: Sequence[UUID]) -> dict[UUID, list[Payment]]: ...


class PeopleReads(Protocol):
    async def psychologists_page(
        self, wanted: PsychologistFilter, page: PageRequest, *, with_total: bool
    ) -> Page[Psychologist]: ...

    async def psychologists_matching(
        self, wanted: PsychologistFilter, *, limit: int
    ) -> list[Psychologist]: ...

    async def psychologists_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Psychologist]: ...

    async def psychologist_rows(
        self, ids: Sequence[UUID], columns: Sequence[str]
    ) -> dict[UUID, Sequence[object]]:
        """The psychologists among ``ids`` as plain rows of ``columns``."""
        ...

    async def psychologist_by_subject(self, subject: str) -> Psychologist | None: ...

    async def patients_by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Patient]: ...

    async def patient_by_subject(self, subject: str) -> Patient | None: ...


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


class CalendarReads(Protocol):
    async def calendars(self, ids: Sequence[UUID], around: Interval) -> dict[UUID, Calendar]:
        """Calendars with the time off and extra hours that meet ``around``."""
        ...

    async def changes(
        self, psychologist_id: UUID, *, before: int | None, limit: int
    ) -> list[RecordedChange]:
        """The schedule's audit, newest first."""
        ...
