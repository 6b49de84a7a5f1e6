"""The Query root of the contract."""

from typing import Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from domain.viewer import Role
from resolvers.context import Context
from resolvers.node_ids import expect_global_id, from_global_id
from resolvers.notifications import NotificationQueries
from resolvers.types.connections import (
    AppointmentConnection,
    PsychologistConnection,
    resolve_appointment_connection,
    resolve_psychologist_connection,
)
from resolvers.types.entities import Appointment, AppointmentSeries, Patient, Psychologist
from resolvers.types.inputs import (
    AppointmentFilterInput,
    AppointmentOrderInput,
    PsychologistFilterInput,
    PsychologistOrderInput,
)
from resolvers.types.node import Node


@strawberry.type(name="Viewer", description="The authenticated caller.")
class ViewerType:
    subject: str
    role: Role

    @strawberry.field(description="Set when the viewer is a patient who has booked at least once.")
    async def patient(self, info: Info[Context, None]) -> Patient | None:
        if self.role is not Role.PATIENT:
            return None
        found = await info.context.services.people.patient_by_subject(self.subject)
        return Patient.from_domain(found) if found else None

    @strawberry.field(description="Set when the viewer is a psychologist.")
    async def psychologist(self, info: Info[Context, None]) -> Psychologist | None:
        if self.role is not Role.PSYCHOLOGIST:
            return None
        found = await info.context.services.people.psychologist_by_subject(self.subject)
        return Psychologist.from_domain(found) if found else None


@strawberry.type(name="Query")
class Query(NotificationQueries):
    @strawberry.field
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        type_name, key = from_global_id(id, argument="id")
        loaders = info.context.loaders
        by_type: dict[str, DataLoader[UUID, Any]] = {
            "Appointment": loaders.appointment,
            "Patient": loaders.patient,
            "Psychologist": loaders.psychologist,
        }
        if type_name == "AppointmentSeries":
            return await _series(info, key)
        loader = by_type.get(type_name)
        if loader is None:
            return None
        found: Node | None = await loader.load(key)
        return found

    @strawberry.field
    def viewer(self, info: Info[Context, None]) -> ViewerType:
        viewer = info.context.require_viewer()
        return ViewerType(subject=viewer.subject, role=viewer.role)

    @strawberry.field
    async def appointment(self, info: Info[Context, None], id: strawberry.ID) -> Appointment | None:
        key = expect_global_id(id, "Appointment", argument="id")
        found: Appointment | None = await info.context.loaders.appointment.load(key)
        return found

    @strawberry.field(
        description="Default 20 per page, at most 100. A patient sees only their own; "
        "a psychologist only their own schedule."
    )
    async def appointments(
        self,
        info: Info[Context, None],
        filter: AppointmentFilterInput | None = None,
        order_by: AppointmentOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AppointmentConnection:
        return await resolve_appointment_connection(
            info, filter, order_by, first, after, last, before
        )

    @strawberry.field(description="A series of sessions the viewer may see.")
    async def appointment_series(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> AppointmentSeries | None:
        return await _series(info, expect_global_id(id, "AppointmentSeries", argument="id"))

    @strawberry.field
    async def psychologist(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> Psychologist | None:
        key = expect_global_id(id, "Psychologist", argument="id")
        info.context.require_viewer()
        found: Psychologist | None = await info.context.loaders.psychologist.load(key)
        return found

    @strawberry.field
    async def psychologists(
        self,
        info: Info[Context, None],
        filter: PsychologistFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: PsychologistOrderInput | None = None,
    ) -> PsychologistConnection:
        return await resolve_psychologist_connection(
            info, filter, first, after, last, before, order_by
        )


async def _series(info: Info[Context, None], key: UUID) -> AppointmentSeries | None:
    found: AppointmentSeries | None = await info.context.loaders.series.load(key)
    return found
