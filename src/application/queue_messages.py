"""The messages use cases leave in the outbox for the worker."""

from datetime import datetime

from application.unit_of_work import OutboxMessage
from domain.appointments import Appointment

# A new request waits for its decision.
REQUESTED_TOPIC = "appointment.requested"
# A request held for the psychologist's answer expires unless answered by then.
CONFIRMATION_DUE_TOPIC = "appointment.confirmation_due"
# A new time waits for its decision.
RESCHEDULE_TOPIC = "appointment.reschedule_requested"


def decision_wanted(appointment: Appointment) -> OutboxMessage:
    # One message group per psychologist: their decisions are made one at a time.
    return OutboxMessage(
        topic=REQUESTED_TOPIC,
        group=str(appointment.psychologist_id),
        payload={"appointment_id": str(appointment.id), "request_id": appointment.request_id},
        request_id=appointment.request_id,
    )


def expiry_due(appointment: Appointment, at: datetime, request_id: str | None) -> OutboxMessage:
    return OutboxMessage(
        topic=CONFIRMATION_DUE_TOPIC,
        group=str(appointment.psychologist_id),
        payload={"appointment_id": str(appointment.id), "request_id": request_id},
        request_id=request_id,
        available_at=at,
    )


def reschedule_wanted(
    appointment: Appointment, to: datetime, request_id: str | None
) -> OutboxMessage:
    return OutboxMessage(
        topic=RESCHEDULE_TOPIC,
        group=str(appointment.psychologist_id),
        payload={
            "appointment_id": str(appointment.id),
            "request_id": request_id,
            "to": to.isoformat(),
        },
        request_id=request_id,
    )
