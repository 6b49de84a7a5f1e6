"""The message queue and its dead-letter queue on SQS FIFO queues."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import aioboto3

from infra.queue.depths import QueueDepth
from infra.queue.limits import (
    check_batch,
    check_max_messages,
    visibility_between_limits,
    wait_seconds_between_limits,
    whole_seconds,
)
from infra.queue.redrive_policy import max_receive_count_of
from infra.queue.sqs_client import SqsEndpoint, sqs_client, unavailable_on_error
from infra.queue.sqs_messages import (
    SYSTEM_ATTRIBUTES,
    batch_entries,
    failed_entries,
    received,
)
from worker.ports import Failed, OutgoingMessage, QueueUnavailable, ReceivedMessage

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient


class _SqsFifoQueue:
    def __init__(self, client: "SQSClient", url: str) -> None:
        self._client = client
        self.url = url
        self._closed = False

    async def receive(
        self, *, max_messages: int, wait_seconds: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        check_max_messages(max_messages)
        self._check_open()
        with unavailable_on_error("ReceiveMessage"):
            answer = await self._client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=whole_seconds(wait_seconds_between_limits(wait_seconds)),
                VisibilityTimeout=whole_seconds(visibility_between_limits(visibility_timeout)),
                MessageSystemAttributeNames=SYSTEM_ATTRIBUTES,
                MessageAttributeNames=["All"],
            )
        return [received(message) for message in answer.get("Messages", [])]

    async def delete(self, message: ReceivedMessage) -> None:
        self._check_open()
        with unavailable_on_error("DeleteMessage"):
            await self._client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt)

    async def delete_batch(self, messages: Sequence[ReceivedMessage]) -> Failed:
        check_batch(messages)
        self._check_open()
        if not messages:
            return {}
        with unavailable_on_error("DeleteMessageBatch"):
            answer = await self._client.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message.receipt}
                    for index, message in enumerate(messages)
                ],
            )
        return failed_entries(answer.get("Failed", []), [m.message_id for m in messages])

    async def _change_visibility_batch(
        self, delays: Sequence[tuple[ReceivedMessage, float]]
    ) -> Failed:
        check_batch(delays)
        self._check_open()
        if not delays:
            return {}
        with unavailable_on_error("ChangeMessageVisibilityBatch"):
            answer = await self._client.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": message.receipt,
                        "VisibilityTimeout": whole_seconds(visibility_between_limits(seconds)),
                    }
                    for index, (message, seconds) in enumerate(delays)
                ],
            )
        return failed_entries(answer.get("Failed", []), [m.message_id for m, _ in delays])

    async def depth(self) -> QueueDepth:
        self._check_open()
        with unavailable_on_error("GetQueueAttributes"):
            answer = await self._client.get_queue_attributes(
                QueueUrl=self.url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )
        attributes = answer.get("Attributes", {})
        return QueueDepth(
            visible=int(attributes.get("ApproximateNumberOfMessages", "0")),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
        )

    async def _change_visibility(self, message: ReceivedMessage, seconds: float) -> None:
        self._check_open()
        with unavailable_on_error("ChangeMessageVisibility"):
            await self._client.change_message_visibility(
                QueueUrl=self.url,
                ReceiptHandle=message.receipt,
                VisibilityTimeout=whole_seconds(visibility_between_limits(seconds)),
            )

    def _check_open(self) -> None:
        # A closed aiobotocore client would quietly open new connections.
        if self._closed:
            raise QueueUnavailable(f"{self.url} is closed")


class SqsQueue(_SqsFifoQueue):
    """A FIFO queue whose RedrivePolicy names the dead-letter queue.

    ``close()`` closes the client, which the dead-letter queue shares.
    """

    def __init__(self, client: "SQSClient", url: str, *, max_receive_count: int) -> None:
        super().__init__(client, url)
        self.max_receive_count = max_receive_count

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> Failed:
        check_batch(messages)
        self._check_open()
        if not messages:
            return {}
        with unavailable_on_error("SendMessageBatch"):
            answer = await self._client.send_message_batch(
                QueueUrl=self.url, Entries=batch_entries(messages)
            )
        # The sender resends only these: the others are queued.
        return failed_entries(answer.get("Failed", []), [m.deduplication_id for m in messages])

    async def retry_later(self, message: ReceivedMessage, delay_seconds: float) -> None:
        await self._change_visibility(message, delay_seconds)

    async def retry_later_batch(self, delays: Sequence[tuple[ReceivedMessage, float]]) -> Failed:
        return await self._change_visibility_batch(delays)

    async def close(self) -> None:
        self._closed = True
        await self._client.close()


class SqsDeadLetterQueue(_SqsFifoQueue):
    async def hide(self, message: ReceivedMessage, seconds: float) -> None:
        await self._change_visibility(message, seconds)

    async def count(self) -> int:
        depth = await self.depth()
        return depth.visible + depth.in_flight


async def read_max_receive_count(client: "SQSClient", queue_url: str) -> int:
    with unavailable_on_error("GetQueueAttributes"):
        answer = await client.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["RedrivePolicy"]
        )
    policy = answer.get("Attributes", {}).get("RedrivePolicy")
    return max_receive_count_of(policy, queue_url=queue_url)


@asynccontextmanager
async def open_sqs(
    queue_url: str,
    dead_letter_url: str,
    endpoint: SqsEndpoint,
    *,
    max_receive_count: int | None = None,
    session: aioboto3.Session | None = None,
) -> AsyncIterator[tuple[SqsQueue, SqsDeadLetterQueue]]:
    """The queue and its dead-letter queue over one client, closed after the block.

    Without ``max_receive_count`` it is read from the queue's RedrivePolicy,
    which needs SQS to answer (``QueueUnavailable`` otherwise).
    """
    async with sqs_client(endpoint, session) as client:
        if max_receive_count is None:
            max_receive_count = await read_max_receive_count(client, queue_url)
        queue = SqsQueue(client, queue_url, max_receive_count=max_receive_count)
        yield queue, SqsDeadLetterQueue(client, dead_letter_url)
