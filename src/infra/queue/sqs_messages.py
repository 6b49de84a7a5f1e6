"""Our messages in SQS's shapes and back."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from infra.queue.limits import sendable_attributes
from worker.ports import OutgoingMessage, ReceivedMessage

if TYPE_CHECKING:
    from types_aiobotocore_sqs.literals import MessageSystemAttributeNameType
    from types_aiobotocore_sqs.type_defs import (
        BatchResultErrorEntryTypeDef,
        MessageAttributeValueTypeDef,
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

SYSTEM_ATTRIBUTES: "list[MessageSystemAttributeNameType]" = [
    "ApproximateReceiveCount",
    "MessageGroupId",
]


def batch_entries(
    messages: Sequence[OutgoingMessage],
) -> "list[SendMessageBatchRequestEntryTypeDef]":
    return [
        {
            "Id": str(index),
            "MessageBody": message.body,
            "MessageGroupId": message.group,
            "MessageDeduplicationId": message.deduplication_id,
            "MessageAttributes": string_attributes(message.attributes),
        }
        for index, message in enumerate(messages)
    ]


def string_attributes(attributes: Mapping[str, str]) -> "dict[str, MessageAttributeValueTypeDef]":
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in sendable_attributes(attributes).items()
    }


def received(message: "MessageTypeDef") -> ReceivedMessage:
    system = message.get("Attributes", {})
    return ReceivedMessage(
        message_id=message["MessageId"],
        receipt=message["ReceiptHandle"],
        body=message.get("Body", ""),
        attributes={
            name: value["StringValue"]
            for name, value in message.get("MessageAttributes", {}).items()
            if "StringValue" in value
        },
        receive_count=int(system.get("ApproximateReceiveCount", "1")),
        group=system.get("MessageGroupId"),
    )


def failed_entries(
    failed: "Sequence[BatchResultErrorEntryTypeDef]", ids: Sequence[str]
) -> dict[str, str]:
    """The entries a batch call refused, by our id for each (``ids`` in the batch's order:
    an entry's ``Id`` is its position), with SQS's code and message."""
    return {
        ids[int(entry["Id"])]: f"{entry['Code']}: {entry.get('Message', '')}".rstrip(": ")
        for entry in failed
    }
