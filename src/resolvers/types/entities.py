"""The entities of the contract: appointments, patients, psychologists and their history."""

from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar, cast
from uuid import UUID

import strawberry
from strawberry.types import Info

import resolvers.types.enums  # noqa: F401 - registers the enums with strawberry
from domain import appointments as domain_appointments
from domain import people, schedule
from domain import series as domain_series
from domain.appointments import (
    AppointmentStatus,
    AppointmentType,
    EventKind,
    MeetingType,
    RejectionReason,
)
from domain.listing import AppointmentFilter
from domain.schedule import Weekday
from domain.series import Frequency
from resolvers.context import Context
from resolvers.event_cursors import encode_event_cursor
from resolvers.node_ids import to_global_id
from resolvers.types.inputs import AppointmentFilterInput, AppointmentOrderInput
from resolvers.types.lifecycle_types import ActorType, PaymentType
from resolvers.types.node import Node
from resolvers.types.psychologist_calendar import PsychologistCalendar

if TYPE_CHECKING:
    from resolvers.types.connections import AppointmentConnection

T = TypeVar("T")
AppointmentConnectionRef = Annotated[
    "AppointmentConnection", strawberry.lazy("resolvers.types.connections")
]


def deferred(awaitable: Awaitable[Any], _: type[T]) -> T:
    """A DataLoader future typed as its eventual value.

    graphql-core awaits whatever awaitable a resolver returns, so a plain
    function can hand back the loader's future without a coroutine per row.
    """
    return cast(T, awaitable)


@strawberry.type(
    name="WorkingHours", description="Working hours in the psychologist's own time zone."
)
class WorkingHoursType:
    weekday: Weekday
    start_time: str
    end_time: str

    @classmethod
    def from_domain(cls, hours: schedule.WorkingHours) -> Self:
        return cls(
            weekday=hours.weekday,
            start_time=hours.start.isoformat("minutes"),
            end_time=hours.end.isoformat("minutes"),
        )


@strawberry.type(name="AppointmentStatusEvent")
class AppointmentStatusEvent:
    appointment_id: strawberry.ID
    status: AppointmentStatus
    previous_status: AppointmentStatus | None
    rejection_reason: RejectionReason | None
    occurred_at: datetime
    version: int = strawberry.field(
        description="Increases by one with every change of this appointment; a client drops "
        "an event whose version it has already seen."
    )
    request_id: strawberry.ID | None
    cursor: str = strawberry.field(
        description="Position in the global event history; pass it as "
        "appointmentEvents(after:) to resume."
    )
    reason: str | None = strawberry.field(description="The reason recorded with the change.")
    kind: EventKind = strawberry.field(
        description="STATUS_CHANGED, or a change within the status (a new time asked for, "
        "made or refused; a hold for the psychologist's answer; a payment)."
    )
    actor: ActorType | None = strawberry.field(
        description="Who made the change; null for history older than this field."
    )
    note: str | None = strawberry.field(
        description="The note of a decline, a completion or a no-show; a payment's reference."
    )
    previous_scheduled_at: datetime | None = strawberry.field(
        description="For a new time: the time it was at."
    )
    scheduled_at: datetime | None = strawberry.field(
        description="For a new time: the time asked for (or moved to); for a request, its time."
    )
    raw_appointment_id: strawberry.Private[UUID]

    @strawberry.field
    def appointment(self, info: Info[Context, None]) -> "Appointment":
        return deferred(info.context.loaders.appointment.load(self.raw_appointment_id), Appointment)

    @classmethod
    def from_domain(cls, event: domain_appointments.StatusEvent) -> Self:
        rejection = (
            RejectionReason(event.reason)
            if event.status is AppointmentStatus.REJECTED and event.reason
            else None
        )
        return cls(
            appointment_id=strawberry.ID(to_global_id("Appointment", event.appointment_id)),
            status=event.status,
            previous_status=event.previous_status,
            rejection_reason=rejection,
            occurred_at=event.occurred_at,
            version=event.version,
            request_id=strawberry.ID(event.request_id) if event.request_id else None,
            cursor=encode_event_cursor(event.sequence or 0),
            reason=event.reason,
            kind=event.kind,
            actor=ActorType.from_domain(event.actor),
            note=event.note,
            previous_scheduled_at=event.previous_scheduled_at,
            scheduled_at=event.scheduled_at,
            raw_appointment_id=event.appointment_id,
        )


async def _appointments_of(
    info: Info[Context, None],
    forced: AppointmentFilter,
    filter: AppointmentFilterInput | None,
    order_by: AppointmentOrderInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> "AppointmentConnection":
    from resolvers.types.connections import resolve_appointment_connection

    return await resolve_appointment_connection(
        info, filter, order_by, first, after, last, before, forced=forced
    )


@strawberry.type(name="Psychologist")
class Psychologist(Node, PsychologistCalendar):
    name: str
    email: str
    specialties: list[str]
    time_zone: str = strawberry.field(description="IANA time zone name, e.g. America/Sao_Paulo.")
    default_duration_minutes: int
    consultation_fee: Decimal
    active: bool
    domain: strawberry.Private[people.Psychologist]

    @classmethod
    def from_domain(cls, psychologist: people.Psychologist) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Psychologist", psychologist.id)),
            name=psychologist.name,
            email=psychologist.email,
            specialties=list(psychologist.specialties),
            time_zone=psychologist.time_zone,
            default_duration_minutes=psychologist.default_duration_minutes,
            consultation_fee=psychologist.consultation_fee,
            active=psychologist.active,
            domain=psychologist,
        )

    @strawberry.field(
        description="Only what the viewer may see: a patient sees only their own appointments here."
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
    ) -> AppointmentConnectionRef:
        forced = AppointmentFilter(psychologist_id=self.domain.id)
        return await _appointments_of(info, forced, filter, order_by, first, after, last, before)


@strawberry.type(name="Patient")
class Patient(Node):
    name: str
    email: str
    phone: str | None = strawberry.field(description="E.164, e.g. +5511999999999.")
    time_zone: str | None = strawberry.field(
        description="The IANA zone the patient reads the clock in, when they chose one."
    )
    domain: strawberry.Private[people.Patient]

    @classmethod
    def from_domain(cls, patient: people.Patient) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Patient", patient.id)),
            name=patient.name,
            email=patient.email,
            phone=patient.phone,
            time_zone=patient.time_zone,
            domain=patient,
        )

    @strawberry.field
    async def appointments(
        self,
        info: Info[Context, None],
        filter: AppointmentFilterInput | None = None,
        order_by: AppointmentOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AppointmentConnectionRef:
        forced = AppointmentFilter(patient_id=self.domain.id)
        return await _appointments_of(info, forced, filter, order_by, first, after, last, before)


@strawberry.type(name="Appointment")
class Appointment(Node):
    scheduled_at: datetime
    ends_at: datetime
    duration_minutes: int
    appointment_type: AppointmentType
    meeting_type: MeetingType
    meeting_url: str | None
    notes: str | None
    consultation_fee: Decimal
    is_paid: bool
    status: AppointmentStatus
    rejection_reason: RejectionReason | None
    cancellation_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Increases by one with every status change.")
    status_note: str | None = strawberry.field(
        description="What the psychologist noted on a decline, a completion or a no-show."
    )
    late_cancellation: bool = strawberry.field(
        description="Cancelled by the patient inside the psychologist's cancellation window."
    )
    cancellation_fee: Decimal | None = strawberry.field(
        description="What the late cancellation costs: payable like a session."
    )
    awaiting_confirmation_until: datetime | None = strawberry.field(
        description="Set while a PENDING request holds its time for the psychologist's answer: "
        "it expires then."
    )
    reschedule_to: datetime | None = strawberry.field(
        description="A new time asked for and waiting for the worker; the current one stays "
        "held meanwhile."
    )
    series_index: int | None = strawberry.field(description="Its place in its series, from 0.")
    amount_due: Decimal = strawberry.field(
        description="What is owed: the fee, a late cancellation's fee, or 0."
    )
    amount_paid: Decimal = strawberry.field(description="Payments less refunds.")
    domain: strawberry.Private[domain_appointments.Appointment]

    @classmethod
    def from_domain(cls, appointment: domain_appointments.Appointment) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Appointment", appointment.id)),
            scheduled_at=appointment.scheduled_at,
            ends_at=appointment.ends_at,
            duration_minutes=appointment.duration_minutes,
            appointment_type=appointment.appointment_type,
            meeting_type=appointment.meeting_type,
            meeting_url=appointment.meeting_url,
            notes=appointment.notes,
            consultation_fee=appointment.consultation_fee,
            is_paid=appointment.is_paid,
            status=appointment.status,
            rejection_reason=appointment.rejection_reason,
            cancellation_reason=appointment.cancellation_reason,
            created_at=appointment.created_at,
            updated_at=appointment.updated_at,
            version=appointment.version,
            status_note=appointment.status_note,
            late_cancellation=appointment.late_cancellation,
            cancellation_fee=appointment.cancellation_fee,
            awaiting_confirmation_until=appointment.awaiting_confirmation_until,
            reschedule_to=appointment.reschedule_to,
            series_index=appointment.series_index,
            amount_due=appointment.amount_due,
            amount_paid=appointment.amount_paid,
            domain=appointment,
        )

    @strawberry.field
    def patient(self, info: Info[Context, None]) -> Patient:
        return deferred(info.context.loaders.patient.load(self.domain.patient_id), Patient)

    @strawberry.field
    def psychologist(self, info: Info[Context, None]) -> Psychologist:
        loaded = info.context.loaders.psychologist.load(self.domain.psychologist_id)
        return deferred(loaded, Psychologist)

    @strawberry.field(description="Every status change, oldest first: the audit trail.")
    def history(self, info: Info[Context, None]) -> list[AppointmentStatusEvent]:
        return deferred(info.context.loaders.history.load(self.domain.id), list)

    @strawberry.field(description="The series this session belongs to, if any.")
    async def series(self, info: Info[Context, None]) -> "AppointmentSeries | None":
        if self.domain.series_id is None:
            return None
        found: AppointmentSeries | None = await info.context.loaders.series.load(
            self.domain.series_id
        )
        return found

    @strawberry.field(description="Payments and refunds recorded, oldest first.")
    def payments(self, info: Info[Context, None]) -> list[PaymentType]:
        return deferred(info.context.loaders.payments.load(self.domain.id), list)


@strawberry.type(
    name="AppointmentSeries",
    description="Sessions requested together every week or two; each one decided on its own.",
)
class AppointmentSeries(Node):
    frequency: Frequency
    occurrence_count: int = strawberry.field(description="How many sessions were asked for.")
    first_scheduled_at: datetime
    duration_minutes: int
    appointment_type: AppointmentType
    meeting_type: MeetingType
    created_at: datetime
    domain: strawberry.Private[domain_series.Series]

    @classmethod
    def from_domain(cls, found: domain_series.Series) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("AppointmentSeries", found.id)),
            frequency=found.frequency,
            occurrence_count=found.occurrences,
            first_scheduled_at=found.first_scheduled_at,
            duration_minutes=found.duration_minutes,
            appointment_type=found.appointment_type,
            meeting_type=found.meeting_type,
            created_at=found.created_at,
            domain=found,
        )

    @strawberry.field(description="Its sessions the viewer may see, in order.")
    async def occurrences(self, info: Info[Context, None]) -> list[Appointment]:
        viewer = info.context.require_viewer()
        found = await info.context.services.lifecycle.occurrences(viewer, self.domain.id)
        return [Appointment.from_domain(a) for a in found]

    @strawberry.field
    def patient(self, info: Info[Context, None]) -> Patient:
        return deferred(info.context.loaders.patient.load(self.domain.patient_id), Patient)

    @strawberry.field
    def psychologist(self, info: Info[Context, None]) -> Psychologist:
        loaded = info.context.loaders.psychologist.load(self.domain.psychologist_id)
        return deferred(loaded, Psychologist)
