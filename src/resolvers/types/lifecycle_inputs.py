"""Inputs and payloads of the mutations of a session's life."""

from datetime import datetime
from decimal import Decimal

import strawberry

from domain.appointments import AppointmentType, MeetingType
from domain.payments import PaymentKind, PaymentMethod
from domain.series import Frequency
from resolvers.types.entities import Appointment, AppointmentSeries
from resolvers.types.lifecycle_types import PaymentType, SessionPolicyType
from resolvers.types.mutation_types import BatchItemResult, PatientInput, UserError


@strawberry.input(name="AppointmentNoteInput")
class AppointmentNoteInput:
    appointment_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="At most 2000 characters.")


@strawberry.input(name="ConfirmAppointmentInput")
class ConfirmAppointmentInput:
    appointment_id: strawberry.ID


@strawberry.input(name="DeclineAppointmentInput")
class DeclineAppointmentInput:
    appointment_id: strawberry.ID
    reason: str = strawberry.field(description="Why, for the patient: 1 to 2000 characters.")


@strawberry.type(name="AppointmentPayload")
class AppointmentPayload:
    appointment: Appointment | None
    user_errors: list[UserError]


@strawberry.input(name="RescheduleAppointmentInput")
class RescheduleAppointmentInput:
    appointment_id: strawberry.ID
    scheduled_at: datetime = strawberry.field(description="The new start; same duration.")


@strawberry.type(name="RescheduleAppointmentPayload")
class RescheduleAppointmentPayload:
    appointment: Appointment | None = strawberry.field(
        description="The appointment at its current time, with rescheduleTo set: the worker "
        "moves it (RESCHEDULED) or keeps it (RESCHEDULE_REJECTED), seen live."
    )
    request_id: strawberry.ID
    user_errors: list[UserError]


@strawberry.input(name="SetSessionPolicyInput")
class SetSessionPolicyInput:
    psychologist_id: strawberry.ID
    requires_confirmation: bool = False
    confirmation_timeout_minutes: int = strawberry.field(
        default=1440, description="5 to 10080 (7 days)."
    )
    cancellation_window_minutes: int = strawberry.field(
        default=0, description="0 (no late cancellations) to 20160 (14 days)."
    )
    late_cancellation_fee: Decimal | None = strawberry.field(
        default=None, description="Null: the session's own fee."
    )


@strawberry.type(name="SessionPolicyPayload")
class SessionPolicyPayload:
    session_policy: SessionPolicyType | None
    user_errors: list[UserError]


@strawberry.input(name="RequestAppointmentSeriesInput")
class RequestAppointmentSeriesInput:
    psychologist_id: strawberry.ID
    first_scheduled_at: datetime
    occurrences: int = strawberry.field(description="2 to 26 sessions.")
    frequency: Frequency = Frequency.WEEKLY
    duration_minutes: int | None = None
    appointment_type: AppointmentType = AppointmentType.THERAPY_SESSION
    meeting_type: MeetingType = MeetingType.VIDEO_CALL
    notes: str | None = None
    patient: PatientInput | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Same key from the same viewer returns the first series and creates "
        "nothing new.",
    )


@strawberry.type(name="RequestAppointmentSeriesPayload")
class RequestAppointmentSeriesPayload:
    series: AppointmentSeries | None
    request_id: strawberry.ID
    results: list[BatchItemResult] = strawberry.field(
        description="One result per session, in order: PENDING, or why it was left out."
    )
    user_errors: list[UserError]


@strawberry.input(name="CancelAppointmentSeriesInput")
class CancelAppointmentSeriesInput:
    series_id: strawberry.ID
    from_appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="This session and the later ones; null: all of them."
    )
    reason: str | None = None


@strawberry.type(name="CancelAppointmentSeriesPayload")
class CancelAppointmentSeriesPayload:
    series: AppointmentSeries | None
    cancelled: list[Appointment] = strawberry.field(
        description="What this call cancelled: empty when asked again."
    )
    user_errors: list[UserError]


@strawberry.input(name="RecordPaymentInput")
class RecordPaymentInput:
    appointment_id: strawberry.ID
    amount: Decimal
    method: PaymentMethod
    reference: str = strawberry.field(
        description="A receipt or transaction id: the same one again records nothing new."
    )
    kind: PaymentKind = PaymentKind.PAYMENT


@strawberry.type(name="RecordPaymentPayload")
class RecordPaymentPayload:
    payment: PaymentType | None
    appointment: Appointment | None
    user_errors: list[UserError]
