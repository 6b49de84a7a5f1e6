"""Operator commands on the queues: create them, look at dead letters, send them back."""

import sys

from infra.config import Settings
from infra.queue.dead_letters import list_dead_letters, redrive_dead_letters
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client


def _urls(settings: Settings) -> tuple[str, str]:
    if not (settings.sqs_queue_url and settings.sqs_dlq_url):
        print(
            "configuration error: SQS_QUEUE_URL: set SQS_QUEUE_URL and SQS_DLQ_URL",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return settings.sqs_queue_url, settings.sqs_dlq_url


def _endpoint(settings: Settings) -> SqsEndpoint:
    return SqsEndpoint(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


async def create(settings: Settings) -> None:
    queue, dead_letters = _urls(settings)
    async with sqs_client(_endpoint(settings)) as client:
        urls = await create_queues(
            client,
            queue,
            dead_letters,
            max_receive_count=settings.sqs_max_receive_count,
            visibility_timeout_seconds=settings.sqs_visibility_timeout,
        )
    print(f"queue:             {urls.queue}")
    print(f"dead-letter queue: {urls.dead_letters}")


async def show_dead_letters(settings: Settings, limit: int) -> None:
    from appointment_api.worker_runtime import open_queue

    async with open_queue(settings) as (_, dead_letters):
        letters = await list_dead_letters(dead_letters, limit)
    for letter in letters:
        request_id = letter.attributes.get("request_id", "-")
        print(
            f"{letter.message_id}  group={letter.group}  request_id={request_id}  "
            f"received={letter.receive_count}  {letter.body}"
        )
    print(f"{len(letters)} dead letter(s) shown")


async def redrive(settings: Settings, limit: int) -> None:
    from appointment_api.worker_runtime import open_queue

    async with open_queue(settings) as (queue, dead_letters):
        moved = await redrive_dead_letters(dead_letters, queue, limit)
    print(f"{moved} dead letter(s) sent back to the queue")
