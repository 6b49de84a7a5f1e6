"""What the resolvers need from the outside world, as small protocols."""

from collections.abc import Sequence
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


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Viewer:
        """The viewer behind the header, or ``domain.viewer.InvalidCredentials``."""
        ...
