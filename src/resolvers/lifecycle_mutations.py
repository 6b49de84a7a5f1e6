"""The mutations of a session's life: thin, each parses its input, calls one use case and
shapes the answer."""

import strawberry
from strawberry.types import Info

from application.lifecycle_commands import (
    AnswerRequest,
    CancelSeries,
    MarkOutcome,
    RecordPayment,
    RequestSeries,
    RescheduleAppointment,
    SetSessionPolicy,
)
from application.outcomes import Outcome, Problem
from domain.appointments import AppointmentStatus
from domain.payments import PaymentKind, PaymentMethod
from domain.requests import AppointmentRequest, InputProblem
from domain.series import Frequency
from resolvers.context import Context
from resolvers.mutation_input import BadInput, parse_id, user_errors, who
from resolvers.types.entities import AppointmentSeries
from resolvers.types.lifecycle_inputs import (
    AppointmentNoteInput,
    AppointmentPayload,
    CancelAppointmentSeriesInput,
    CancelAppointmentSeriesPayload,
    ConfirmAppointmentInput,
    DeclineAppointmentInput,
    RecordPaymentInput,
    RecordPaymentPayload,
    RequestAppointmentSeriesInput,
    RequestAppointmentSeriesPayload,
    RescheduleAppointmentInput,
    RescheduleAppointmentPayload,
    SessionPolicyPayload,
    SetSessionPolicyInput,
)
from resolvers.types.lifecycle_types import PaymentType, SessionPolicyType
from resolvers.types.mutation_types import (
    BatchItemResult,
    RequestAppointmentInput,
    UserError,
    to_appointment,
)

APPOINTMENT = "Appointment"


def _payload(outcome: Outcome) -> AppointmentPayload:
    return AppointmentPayload(
        appointment=to_appointment(outcome), user_errors=user_errors(outcome.problems)
    )


def _refused(error: BadInput) -> AppointmentPayload:
    return AppointmentPayload(appointment=None, user_errors=user_errors([error.problem]))


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(
        description="The psychologist or an admin: a CONFIRMED session that has started took place."
    )
    async def complete_appointment(
        self, info: Info[Context, None], input: AppointmentNoteInput
    ) -> AppointmentPayload:
        return await _mark(info, input, AppointmentStatus.COMPLETED)

    @strawberry.mutation(
        description="The psychologist or an admin: the patient did not come to a CONFIRMED "
        "session that has started."
    )
    async def mark_no_show(
        self, info: Info[Context, None], input: AppointmentNoteInput
    ) -> AppointmentPayload:
        return await _mark(info, input, AppointmentStatus.NO_SHOW)

    @strawberry.mutation(
        description="The psychologist or an admin confirms a request held for their answer."
    )
    async def confirm_appointment(
        self, info: Info[Context, None], input: ConfirmAppointmentInput
    ) -> AppointmentPayload:
        return await _answer(info, input.appointment_id, confirm=True, reason=None)

    @strawberry.mutation(
        description="The psychologist or an admin declines a request held for their answer: "
        "REJECTED with DECLINED_BY_PSYCHOLOGIST, their reason as the note."
    )
    async def decline_appointment(
        self, info: Info[Context, None], input: DeclineAppointmentInput
    ) -> AppointmentPayload:
        return await _answer(info, input.appointment_id, confirm=False, reason=input.reason)

    @strawberry.mutation(
        description="The patient or an admin asks for a new time; the worker decides it as a "
        "new request, and the current time stays held until then."
    )
    async def reschedule_appointment(
        self, info: Info[Context, None], input: RescheduleAppointmentInput
    ) -> RescheduleAppointmentPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.appointment_id, APPOINTMENT, "appointmentId")
        except BadInput as error:
            return RescheduleAppointmentPayload(
                appointment=None,
                request_id=strawberry.ID(request_id),
                user_errors=user_errors([error.problem]),
            )
        outcome = await info.context.services.use_cases.reschedule(
            RescheduleAppointment(viewer, key, input.scheduled_at, request_id)
        )
        return RescheduleAppointmentPayload(
            appointment=to_appointment(outcome),
            request_id=strawberry.ID(request_id),
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="The psychologist or an admin: confirmation by the psychologist, the "
        "cancellation window and the late fee."
    )
    async def set_session_policy(
        self, info: Info[Context, None], input: SetSessionPolicyInput
    ) -> SessionPolicyPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
        except BadInput as error:
            return SessionPolicyPayload(
                session_policy=None, user_errors=user_errors([error.problem])
            )
        answer = await info.context.services.use_cases.set_session_policy(
            SetSessionPolicy(
                viewer=viewer,
                psychologist_id=key,
                requires_confirmation=input.requires_confirmation,
                confirmation_timeout_minutes=input.confirmation_timeout_minutes,
                cancellation_window_minutes=input.cancellation_window_minutes,
                late_cancellation_fee=input.late_cancellation_fee,
                request_id=request_id,
            )
        )
        return SessionPolicyPayload(
            session_policy=(
                SessionPolicyType.from_domain(answer.value) if answer.value is not None else None
            ),
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="Sessions every week or two (2 to 26) in one request; each is queued and "
        "decided on its own."
    )
    async def request_appointment_series(
        self, info: Info[Context, None], input: RequestAppointmentSeriesInput
    ) -> RequestAppointmentSeriesPayload:
        viewer, request_id = who(info)
        template = RequestAppointmentInput(
            psychologist_id=input.psychologist_id,
            scheduled_at=input.first_scheduled_at,
            duration_minutes=input.duration_minutes,
            appointment_type=input.appointment_type,
            meeting_type=input.meeting_type,
            notes=input.notes,
            patient=input.patient,
            idempotency_key=input.idempotency_key,
        ).parse()
        if not isinstance(template, AppointmentRequest):
            return RequestAppointmentSeriesPayload(
                series=None,
                request_id=strawberry.ID(request_id),
                results=[],
                user_errors=[
                    UserError.from_problem(p, ("input",)) for p in _input_problems(template)
                ],
            )
        outcome = await info.context.services.use_cases.request_series(
            RequestSeries(
                viewer, template, input.occurrences, Frequency(input.frequency), request_id
            )
        )
        return RequestAppointmentSeriesPayload(
            series=AppointmentSeries.from_domain(outcome.series) if outcome.series else None,
            request_id=strawberry.ID(request_id),
            results=[
                BatchItemResult(
                    index=index,
                    appointment=to_appointment(item),
                    user_errors=[
                        UserError.from_problem(p, ("input", "occurrences", str(index)))
                        for p in item.problems
                    ],
                )
                for index, item in enumerate(outcome.occurrences)
            ],
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="Cancel the series' sessions from one on (all when none is named); "
        "asking again cancels nothing more."
    )
    async def cancel_appointment_series(
        self, info: Info[Context, None], input: CancelAppointmentSeriesInput
    ) -> CancelAppointmentSeriesPayload:
        viewer, request_id = who(info)
        try:
            series_id = parse_id(input.series_id, "AppointmentSeries", "seriesId")
            start = (
                parse_id(input.from_appointment_id, APPOINTMENT, "fromAppointmentId")
                if input.from_appointment_id is not None
                else None
            )
        except BadInput as error:
            return CancelAppointmentSeriesPayload(
                series=None, cancelled=[], user_errors=user_errors([error.problem])
            )
        answer = await info.context.services.use_cases.cancel_series(
            CancelSeries(viewer, series_id, start, input.reason, request_id)
        )
        return CancelAppointmentSeriesPayload(
            series=AppointmentSeries.from_domain(answer.series) if answer.series else None,
            cancelled=[
                appointment
                for a in answer.cancelled
                if (appointment := to_appointment(Outcome(a))) is not None
            ],
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="Staff (the psychologist or an admin) record a payment or a refund; "
        "isPaid follows what is due."
    )
    async def record_payment(
        self, info: Info[Context, None], input: RecordPaymentInput
    ) -> RecordPaymentPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.appointment_id, APPOINTMENT, "appointmentId")
        except BadInput as error:
            return RecordPaymentPayload(
                payment=None, appointment=None, user_errors=user_errors([error.problem])
            )
        outcome = await info.context.services.use_cases.record_payment(
            RecordPayment(
                viewer=viewer,
                appointment_id=key,
                kind=PaymentKind(input.kind),
                amount=input.amount,
                method=PaymentMethod(input.method),
                reference=input.reference,
                request_id=request_id,
            )
        )
        return RecordPaymentPayload(
            payment=PaymentType.from_domain(outcome.payment) if outcome.payment else None,
            appointment=to_appointment(Outcome(outcome.appointment)),
            user_errors=user_errors(outcome.problems),
        )


async def _mark(
    info: Info[Context, None], input: AppointmentNoteInput, outcome: AppointmentStatus
) -> AppointmentPayload:
    viewer, request_id = who(info)
    try:
        key = parse_id(input.appointment_id, APPOINTMENT, "appointmentId")
    except BadInput as error:
        return _refused(error)
    return _payload(
        await info.context.services.use_cases.mark_outcome(
            MarkOutcome(viewer, key, outcome, input.note, request_id)
        )
    )


async def _answer(
    info: Info[Context, None], appointment_id: strawberry.ID, *, confirm: bool, reason: str | None
) -> AppointmentPayload:
    viewer, request_id = who(info)
    try:
        key = parse_id(appointment_id, APPOINTMENT, "appointmentId")
    except BadInput as error:
        return _refused(error)
    return _payload(
        await info.context.services.use_cases.answer_request(
            AnswerRequest(viewer, key, confirm, reason, request_id)
        )
    )


def _input_problems(found: list[InputProblem]) -> list[Problem]:
    # The first session's input, as the series names it.
    renamed = {"scheduledAt": "firstScheduledAt"}
    return [
        Problem("INVALID_INPUT", tuple(renamed.get(part, part) for part in p.path), p.message)
        for p in found
    ]
