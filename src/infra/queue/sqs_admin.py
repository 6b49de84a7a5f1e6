"""Creating the FIFO queue and its dead-letter queue, for operators."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from infra.queue.redrive_policy import redrive_policy
from infra.queue.sqs_client import unavailable_on_error

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.literals import QueueAttributeNameType

    QueueAttributes = dict[QueueAttributeNameType, str]

# Query-compatible SQS answers the old code; JSON-only clients see the new one.
NAME_TAKEN_CODES = frozenset(
    {"QueueAlreadyExists", "QueueNameExists", "AWS.SimpleQueueService.QueueNameExists"}
)
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # the most SQS keeps a message


@dataclass(frozen=True, slots=True)
class QueueUrls:
    queue: str
    dead_letters: str


def queue_name(url_or_name: str) -> str:
    """``https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo`` → ``jobs.fifo``."""
    name = url_or_name.rstrip("/").rsplit("/", 1)[-1]
    if not name.endswith(".fifo"):
        raise ValueError(f"{url_or_name!r}: a FIFO queue's name ends with .fifo")
    return name


async def create_queues(
    client: "SQSClient",
    queue: str,
    dead_letters: str,
    *,
    max_receive_count: int = 5,
    visibility_timeout_seconds: int = 30,
) -> QueueUrls:
    """Create (or bring up to date) the dead-letter queue, then the queue that feeds it.

    ``queue`` and ``dead_letters`` are URLs or names; the name is the URL's last
    segment. Running it again changes nothing, or only what differs.
    """
    dead_letters_url = await _ensure_queue(
        client,
        queue_name(dead_letters),
        {"FifoQueue": "true", "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS)},
    )
    with unavailable_on_error("GetQueueAttributes"):
        answer = await client.get_queue_attributes(
            QueueUrl=dead_letters_url, AttributeNames=["QueueArn"]
        )
    dead_letters_arn = answer["Attributes"]["QueueArn"]
    queue_url = await _ensure_queue(
        client,
        queue_name(queue),
        {
            "FifoQueue": "true",
            "VisibilityTimeout": str(visibility_timeout_seconds),
            "RedrivePolicy": redrive_policy(dead_letters_arn, max_receive_count),
        },
    )
    return QueueUrls(queue=queue_url, dead_letters=dead_letters_url)


async def _ensure_queue(client: "SQSClient", name: str, attributes: "QueueAttributes") -> str:
    with unavailable_on_error("CreateQueue"):
        try:
            created = await client.create_queue(QueueName=name, Attributes=attributes)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in NAME_TAKEN_CODES:
                raise
        else:
            return created["QueueUrl"]
        # It exists with other attributes: set ours (a queue cannot stop being FIFO).
        url = (await client.get_queue_url(QueueName=name))["QueueUrl"]
        changeable: QueueAttributes = {
            key: value for key, value in attributes.items() if key != "FifoQueue"
        }
        await client.set_queue_attributes(QueueUrl=url, Attributes=changeable)
        return url
