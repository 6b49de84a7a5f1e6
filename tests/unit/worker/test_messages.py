"""The worker's commands as the queue carries them: one per topic, unreadable otherwise."""

from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest

from application.commands import DecideAppointment
from application.lifecycle_commands import DecideReschedule, ExpireConfirmation
from application.queue_messages import decision_wanted, expiry_due, reschedule_wanted
from builders import NOW, a_patient, a_psychologist, an_appointment
from worker.messages import UnreadableMessage, read_command, to_outgoing
from worker.ports import PendingMessage

SESSION = an_appointment(a_psychologist(), a_patient(), request_id="req-1")
TO = datetime(2030, 2, 1, 10, 0, tzinfo=UTC)


def through_the_queue(message: object) -> str:
    row = PendingMessage(
        id=1,
        topic=message.topic,  # type: ignore[attr-defined]
        group=message.group,  # type: ignore[attr-defined]
        payload=message.payload,  # type: ignore[attr-defined]
        request_id=message.request_id,  # type: ignore[attr-defined]
    )
    return to_outgoing(row).body


def test_each_topic_reads_back_as_its_own_command() -> None:
    assert read_command(through_the_queue(decision_wanted(SESSION))) == DecideAppointment(
        SESSION.id, "req-1"
    )
    assert read_command(through_the_queue(expiry_due(SESSION, NOW, "req-2"))) == (
        ExpireConfirmation(SESSION.id, "req-2")
    )
    assert read_command(through_the_queue(reschedule_wanted(SESSION, TO, "req-3"))) == (
        DecideReschedule(SESSION.id, TO, "req-3")
    )


def test_a_message_without_a_topic_is_a_request_as_before() -> None:
    body = orjson.dumps({"appointment_id": str(SESSION.id), "request_id": None}).decode()
    assert read_command(body) == DecideAppointment(SESSION.id, None)


@pytest.mark.parametrize(
    "document",
    [
        {"topic": "appointment.unknown", "appointment_id": str(uuid4())},
        {"topic": "appointment.reschedule_requested", "appointment_id": str(uuid4())},
        {
            "topic": "appointment.reschedule_requested",
            "appointment_id": str(uuid4()),
            "to": "2030-02-01T10:00:00",
        },
    ],
)
def test_an_unknown_topic_or_a_new_time_without_its_offset_is_unreadable(
    document: dict[str, str],
) -> None:
    with pytest.raises(UnreadableMessage):
        read_command(orjson.dumps(document).decode())


def test_an_expiry_waits_in_the_outbox_until_its_deadline() -> None:
    assert expiry_due(SESSION, NOW, None).available_at == NOW
    assert decision_wanted(SESSION).available_at is None
