"""The decision command carried by a queue message, and its wire form."""

from datetime import datetime
from uuid import UUID

import orjson

from application.commands import DecideAppointment
from application.lifecycle_commands import DecideReschedule, ExpireConfirmation
from application.notice_messages import NOTICE_TOPIC, AnnounceChange, UnreadableNotice, read_notice
from application.queue_messages import CONFIRMATION_DUE_TOPIC, REQUESTED_TOPIC, RESCHEDULE_TOPIC
from application.queued_work import WorkerCommand
from worker.ports import OutgoingMessage, PendingMessage

REQUEST_ID_ATTRIBUTE = "request_id"


class UnreadableMessage(ValueError):
    """A message body that is not a decision command: it can only be dead-lettered."""


def to_outgoing(row: PendingMessage) -> OutgoingMessage:
    attributes = {REQUEST_ID_ATTRIBUTE: row.request_id} if row.request_id else {}
    return OutgoingMessage(
        deduplication_id=str(row.id),
        group=row.group,
        body=orjson.dumps({"topic": row.topic, **row.payload}).decode(),
        attributes=attributes,
    )


def read_command(body: str) -> WorkerCommand:
    try:
        document = orjson.loads(body)
        appointment_id = UUID(document["appointment_id"])
        request_id = document.get("request_id")
        topic = document.get("topic", REQUESTED_TOPIC)
        if topic == CONFIRMATION_DUE_TOPIC:
            return ExpireConfirmation(appointment_id, request_id)
        if topic == RESCHEDULE_TOPIC:
            to = datetime.fromisoformat(document["to"])
            if to.utcoffset() is None:
                raise ValueError("a new time must say its offset")
            return DecideReschedule(appointment_id, to, request_id)
        if topic != REQUESTED_TOPIC:
            raise ValueError(f"unknown topic {topic!r}")
        return DecideAppointment(appointment_id=appointment_id, request_id=request_id)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise UnreadableMessage(str(error)) from error


def read_message(body: str) -> WorkerCommand | AnnounceChange:
    """A decision to make, or a change to announce (by the message's topic)."""
    try:
        document = orjson.loads(body)
        if isinstance(document, dict) and document.get("topic") == NOTICE_TOPIC:
            return read_notice(document)
    except (orjson.JSONDecodeError, UnreadableNotice) as error:
        raise UnreadableMessage(str(error)) from error
    return read_command(body)
