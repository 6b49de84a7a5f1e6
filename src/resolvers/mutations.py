"""The Mutation root of the contract."""

import uuid

import strawberry
from strawberry.types import Info

from application.commands import CancelAppointment, RequestAppointments
from resolvers.calendar_mutations import CalendarMutations
from resolvers.context import Context
from resolvers.errors import ClientError
from resolvers.lifecycle_mutations import LifecycleMutations
from resolvers.node_ids import expect_global_id
from resolvers.notifications import NotificationMutations
from resolvers.people_mutations import PeopleMutations
from resolvers.types.mutation_types import (
    BatchItemResult,
    CancelAppointmentInput,
    CancelAppointmentPayload,
    RequestAppointmentInput,
    RequestAppointmentPayload,
    RequestAppointmentsInput,
    RequestAppointmentsPayload,
    UserError,
    UserErrorCode,
    to_appointment,
)


@strawberry.type(name="Mutation")
class Mutation(PeopleMutations, CalendarMutations, LifecycleMutations, NotificationMutations):
    @strawberry.mutation(
        description="Validate, persist as PENDING and queue for the worker. Answers at once; "
        "the decision arrives on the appointmentStatus subscription."
    )
    async def request_appointment(
        self, info: Info[Context, None], input: RequestAppointmentInput
    ) -> RequestAppointmentPayload:
        context = info.context
        viewer = context.require_viewer()
        [outcome] = await context.services.use_cases.request_appointments(
            RequestAppointments(viewer, [input.parse()], context.request_id)
        )
        return RequestAppointmentPayload(
            appointment=to_appointment(outcome),
            request_id=strawberry.ID(context.request_id),
            user_errors=[UserError.from_problem(p, ("input",)) for p in outcome.problems],
        )

    @strawberry.mutation(description="Each item is validated and accepted or refused on its own.")
    async def request_appointments(
        self, info: Info[Context, None], input: RequestAppointmentsInput
    ) -> RequestAppointmentsPayload:
        context = info.context
        viewer = context.require_viewer()
        items = [item.parse() for item in input.appointments]
        outcomes = await context.services.use_cases.request_appointments(
            RequestAppointments(viewer, items, context.request_id)
        )
        results = [
            BatchItemResult(
                index=index,
                appointment=to_appointment(outcome),
                user_errors=[
                    UserError.from_problem(p, ("input", "appointments", str(index)))
                    for p in outcome.problems
                ],
            )
            for index, outcome in enumerate(outcomes)
        ]
        accepted = sum(1 for r in results if r.appointment is not None)
        return RequestAppointmentsPayload(
            batch_id=strawberry.ID(str(uuid.uuid4())),
            request_id=strawberry.ID(context.request_id),
            accepted_count=accepted,
            failed_count=len(results) - accepted,
            results=results,
        )

    @strawberry.mutation
    async def cancel_appointment(
        self, info: Info[Context, None], input: CancelAppointmentInput
    ) -> CancelAppointmentPayload:
        context = info.context
        viewer = context.require_viewer()
        try:
            key = expect_global_id(input.appointment_id, "Appointment", argument="appointmentId")
        except ClientError as error:
            return _cancel_refused(UserErrorCode.INVALID_INPUT, error.message, "appointmentId")
        outcome = await context.services.use_cases.cancel_appointment(
            CancelAppointment(viewer, key, input.reason, context.request_id)
        )
        return CancelAppointmentPayload(
            appointment=to_appointment(outcome),
            user_errors=[UserError.from_problem(p, ("input",)) for p in outcome.problems],
        )


def _cancel_refused(code: UserErrorCode, message: str, field: str) -> CancelAppointmentPayload:
    return CancelAppointmentPayload(
        appointment=None,
        user_errors=[UserError(field=["input", field], code=code, message=message)],
    )
