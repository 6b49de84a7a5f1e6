"""DataLoaders: one batched query per kind of entity per operation, never shared."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from application.free_slots import SlotQuery
from domain.appointments import Appointment as DomainAppointment
from domain.calendar import Calendar
from domain.listing import AppointmentFilter, AppointmentOrder, Page, PageRequest
from domain.schedule import Interval
from domain.viewer import Viewer
from resolvers.context import Services
from resolvers.types.entities import (
    Appointment,
    AppointmentSeries,
    AppointmentStatusEvent,
    Patient,
    Psychologist,
)
from resolvers.types.lifecycle_types import PaymentType

T = TypeVar("T")
# A page of appointments under one parent: ("patient" or "psychologist", its id, the filter
# without that parent, the order, the page, whether to count).
ParentPageKey = tuple[str, UUID, AppointmentFilter, AppointmentOrder, PageRequest, bool]


def _in_order(
    found: dict[UUID, Any], keys: Sequence[UUID], build: Callable[[Any], T]
) -> list[T | None]:
    return [build(found[key]) if key in found else None for key in keys]


class Loaders:
    """Batch loaders for one viewer: every load is already scoped to what they may see."""

    def __init__(self, services: Services, viewer: Viewer) -> None:
        async def psychologists(keys: Sequence[UUID]) -> list[Psychologist | None]:
            found = await services.people.psychologists_by_ids(keys)
            return _in_order(found, keys, Psychologist.from_domain)

        async def patients(keys: Sequence[UUID]) -> list[Patient | None]:
            found = await services.people.patients_by_ids(viewer, keys)
            return _in_order(found, keys, Patient.from_domain)

        async def appointments(keys: Sequence[UUID]) -> list[Appointment | None]:
            found = await services.appointments.by_ids(viewer, keys)
            return _in_order(found, keys, Appointment.from_domain)

        async def appointment_pages(
            keys: Sequence[ParentPageKey],
        ) -> list[Page[DomainAppointment]]:
            # One read per kind of parent and page asked for, however many parents.
            by_query: dict[tuple[Any, ...], list[UUID]] = {}
            for parent, parent_id, *query in keys:
                by_query.setdefault((parent, *query), []).append(parent_id)
            found: dict[tuple[Any, ...], Page[DomainAppointment]] = {}
            for (parent, wanted, order, request, with_total), ids in by_query.items():
                pages = await services.appointments.pages_of_parents(
                    viewer, parent, ids, wanted, order, request, with_total=with_total
                )
                for parent_id, page in pages.items():
                    found[(parent, parent_id, wanted, order, request, with_total)] = page
            return [found[key] for key in keys]

        async def histories(keys: Sequence[UUID]) -> list[list[AppointmentStatusEvent]]:
            found = await services.appointments.histories(keys)
            return [
                [AppointmentStatusEvent.from_domain(event) for event in found.get(key, [])]
                for key in keys
            ]

        async def slots(keys: Sequence[tuple[UUID, SlotQuery]]) -> list[list[Interval]]:
            # One read for every question and psychologist of the batch.
            by_query: dict[SlotQuery, list[UUID]] = {}
            for psychologist_id, query in keys:
                by_query.setdefault(query, []).append(psychologist_id)
            answered = await services.free_slots.many(by_query)
            return [answered.get(query, {}).get(key, []) for key, query in keys]

        async def calendars(keys: Sequence[tuple[UUID, Interval]]) -> list[Calendar | None]:
            by_window: dict[Interval, list[UUID]] = {}
            for psychologist_id, window in keys:
                by_window.setdefault(window, []).append(psychologist_id)
            found: dict[tuple[UUID, Interval], Calendar] = {}
            for window, ids in by_window.items():
                read = await services.calendars.calendars(ids, window)
                found.update(((key, window), calendar) for key, calendar in read.items())
            return [found.get(key) for key in keys]

        async def payments(keys: Sequence[UUID]) -> list[list[PaymentType]]:
            found = await services.lifecycle.payments(keys)
            return [[PaymentType.from_domain(p) for p in found.get(key, [])] for key in keys]

        async def series(keys: Sequence[UUID]) -> list[AppointmentSeries | None]:
            found = await services.lifecycle.series_by_ids(viewer, keys)
            return _in_order(found, keys, AppointmentSeries.from_domain)

        self.psychologist: DataLoader[UUID, Psychologist | None] = DataLoader(psychologists)
        self.patient: DataLoader[UUID, Patient | None] = DataLoader(patients)
        self.appointment: DataLoader[UUID, Appointment | None] = DataLoader(appointments)
        self.appointment_pages: DataLoader[ParentPageKey, Page[DomainAppointment]] = DataLoader(
            appointment_pages
        )
        self.history: DataLoader[UUID, list[AppointmentStatusEvent]] = DataLoader(histories)
        self.slots: DataLoader[tuple[UUID, SlotQuery], list[Interval]] = DataLoader(slots)
        self.calendar: DataLoader[tuple[UUID, Interval], Calendar | None] = DataLoader(calendars)
        self.payments: DataLoader[UUID, list[PaymentType]] = DataLoader(payments)
        self.series: DataLoader[UUID, AppointmentSeries | None] = DataLoader(series)
