"""The queue and dead-letter queue the settings name: SQS, or the in-process pair."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from infra.config import Settings
from infra.queue.depths import Measurable
from infra.queue.sqs_client import SqsEndpoint
from worker.ports import DeadLetterQueue, MessageQueue


class MeasurableQueue(MessageQueue, Measurable, Protocol):
    """Both adapters also tell their depth, for the metrics."""


class MeasurableDeadLetters(DeadLetterQueue, Measurable, Protocol):
    pass


@asynccontextmanager
async def open_queue(
    settings: Settings,
) -> AsyncIterator[tuple[MeasurableQueue, MeasurableDeadLetters]]:
    if settings.sqs_queue_url and settings.sqs_dlq_url:
        from infra.queue.sqs_queue import open_sqs

        endpoint = SqsEndpoint(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
        async with open_sqs(
            settings.sqs_queue_url,
            settings.sqs_dlq_url,
            endpoint,
            max_receive_count=settings.sqs_max_receive_count,
        ) as (queue, dead_letters):
            yield queue, dead_letters
        return
    from infra.queue.memory_queue import in_memory_queue

    async with in_memory_queue(max_receive_count=settings.sqs_max_receive_count) as pair:
        yield pair
