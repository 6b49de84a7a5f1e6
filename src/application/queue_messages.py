"""The messages use cases leave in the outbox for the worker."""

from application.unit_of_work import OutboxMessage
from domain.appointments import Appointment

# A new request waits for its decision.
REQUESTED_TOPIC = "appointment.requested"


def decision_wanted(appointment: Appointment) -> OutboxMessage:
    # One message group per psychologist: their decisions are made one at a time.
    return OutboxMessage(
        topic=REQUESTED_TOPIC,
        group=str(appointment.psychologist_id),
        payload={"appointment_id": str(appointment.id), "request_id": appointment.request_id},
        request_id=appointment.request_id,
    )
