"""The measured mutations and their request bodies, one slot per appointment, each with an
idempotency key of its own (as a careful client sends)."""

from datetime import UTC
from typing import Any

import orjson

from bench.write.schedule import SESSION_MINUTES, Slot
from resolvers.node_ids import to_global_id

REQUEST_MUTATION = (
    "mutation Request($input: RequestAppointmentInput!) { requestAppointment(input: $input) "
    "{ requestId appointment { id status } userErrors { code field message } } }"
)
BATCH_MUTATION = (
    "mutation Batch($input: RequestAppointmentsInput!) { requestAppointments(input: $input) "
    "{ acceptedCount failedCount results { index appointment { id status } "
    "userErrors { code field message } } } }"
)
BATCH_SIZES = (10, 100)


def patient(number: int) -> dict[str, str]:
    return {
        "name": f"Bench Patient {number}",
        "email": f"bench-patient-{number}@bench.example",
        "phone": f"+5511{number:09d}",
    }


def item(slot: Slot) -> dict[str, Any]:
    return {
        "psychologistId": to_global_id("Psychologist", slot.psychologist_id),
        "scheduledAt": slot.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "durationMinutes": SESSION_MINUTES,
        "appointmentType": "CONSULTATION",
        "meetingType": "VIDEO_CALL",
        "patient": patient(slot.patient),
        "idempotencyKey": f"bench-{slot.psychologist_id}-{slot.starts_at:%Y%m%dT%H%M}",
    }


def single_body(slot: Slot) -> bytes:
    return orjson.dumps({"query": REQUEST_MUTATION, "variables": {"input": item(slot)}})


def batch_body(slots: list[Slot]) -> bytes:
    items = [item(slot) for slot in slots]
    return orjson.dumps({"query": BATCH_MUTATION, "variables": {"input": {"appointments": items}}})
