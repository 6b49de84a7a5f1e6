"""Inputs and payloads of the mutations; expected failures are ``userErrors``."""

from datetime import datetime
from enum import Enum

import strawberry

from application.commands import RequestItem
from application.outcomes import Outcome, Problem
from domain.appointments import AppointmentType, MeetingType
from domain.requests import AppointmentRequest, InputProblem, PatientProfile
from resolvers.errors import ClientError
from resolvers.node_ids import expect_global_id
from resolvers.types.entities import Appointment


@strawberry.enum(name="UserErrorCode")
class UserErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    IN_THE_PAST = "IN_THE_PAST"
    TOO_SOON = "TOO_SOON"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    # The time already overlaps a CONFIRMED appointment: answered at once, without queueing.
    SLOT_TAKEN = "SLOT_TAKEN"
    PSYCHOLOGIST_UNAVAILABLE = "PSYCHOLOGIST_UNAVAILABLE"
    INVALID_STATE = "INVALID_STATE"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # The patient already has as many requests waiting for a decision as one may have.
    TOO_MANY_PENDING = "TOO_MANY_PENDING"
    DURATION_NOT_OFFERED = "DURATION_NOT_OFFERED"
    APPOINTMENT_TYPE_NOT_OFFERED = "APPOINTMENT_TYPE_NOT_OFFERED"
    DAILY_LIMIT_REACHED = "DAILY_LIMIT_REACHED"
    # The time off would cover booked sessions: they are listed in the payload's conflicts.
    TIME_OFF_CONFLICTS = "TIME_OFF_CONFLICTS"
    # A session is marked COMPLETED or NO_SHOW only once it has started.
    NOT_STARTED = "NOT_STARTED"


@strawberry.type(
    name="UserError",
    description="A problem with the input that the caller can fix; never an internal error.",
)
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the offending input field, e.g. ["input", "appointments", "3", '
        '"scheduledAt"].'
    )
    code: UserErrorCode
    message: str

    @classmethod
    def from_problem(cls, problem: Problem, prefix: tuple[str, ...]) -> "UserError":
        return cls(
            field=[*prefix, *problem.path],
            code=UserErrorCode(problem.code),
            message=problem.message,
        )


@strawberry.input(name="PatientInput")
class PatientInput:
    name: str
    email: str
    phone: str | None = None


@strawberry.input(name="RequestAppointmentInput")
class RequestAppointmentInput:
    psychologist_id: strawberry.ID
    scheduled_at: datetime
    duration_minutes: int | None = strawberry.field(
        default=None, description="Default: the psychologist's defaultDurationMinutes. 15 to 240."
    )
    appointment_type: AppointmentType = AppointmentType.CONSULTATION
    meeting_type: MeetingType = MeetingType.VIDEO_CALL
    notes: str | None = None
    patient: PatientInput | None = strawberry.field(
        default=None,
        description="Required when an ADMIN books on behalf of a patient; a PATIENT books for "
        "themselves (taken from the token, this input fills in the profile).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Same key from the same viewer returns the first result and creates nothing new.",
    )

    def parse(self) -> RequestItem:
        try:
            psychologist_id = expect_global_id(
                self.psychologist_id, "Psychologist", argument="psychologistId"
            )
        except ClientError as error:
            return [InputProblem(("psychologistId",), error.message)]
        profile = self.patient
        return AppointmentRequest(
            psychologist_id=psychologist_id,
            scheduled_at=self.scheduled_at,
            appointment_type=self.appointment_type,
            meeting_type=self.meeting_type,
            duration_minutes=self.duration_minutes,
            notes=self.notes,
            patient=PatientProfile(profile.name, profile.email, profile.phone) if profile else None,
            idempotency_key=self.idempotency_key,
        )


@strawberry.type(name="RequestAppointmentPayload")
class RequestAppointmentPayload:
    appointment: Appointment | None = strawberry.field(
        description="The PENDING appointment when the request was accepted; null when "
        "userErrors is not empty."
    )
    request_id: strawberry.ID = strawberry.field(
        description="Correlation id of this request, carried through the queue, the worker "
        "and the logs."
    )
    user_errors: list[UserError]


@strawberry.input(name="RequestAppointmentsInput")
class RequestAppointmentsInput:
    appointments: list[RequestAppointmentInput] = strawberry.field(description="At most 100 items.")


@strawberry.type(name="BatchItemResult")
class BatchItemResult:
    index: int
    appointment: Appointment | None
    user_errors: list[UserError]


@strawberry.type(name="RequestAppointmentsPayload")
class RequestAppointmentsPayload:
    batch_id: strawberry.ID
    request_id: strawberry.ID
    accepted_count: int
    failed_count: int
    results: list[BatchItemResult] = strawberry.field(
        description="One result per input item, in input order."
    )


@strawberry.input(name="CancelAppointmentInput")
class CancelAppointmentInput:
    appointment_id: strawberry.ID
    reason: str | None = None


@strawberry.type(name="CancelAppointmentPayload")
class CancelAppointmentPayload:
    appointment: Appointment | None
    user_errors: list[UserError]


def to_appointment(outcome: Outcome) -> Appointment | None:
    return Appointment.from_domain(outcome.appointment) if outcome.appointment else None
