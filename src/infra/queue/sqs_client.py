"""Opening an SQS client, and the errors that mean "the queue is unavailable"."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from infra.queue.limits import MAX_WAIT_SECONDS
from worker.ports import QueueUnavailable

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

UNAVAILABLE_ERRORS = (
    ClientError,
    BotocoreConnectionError,  # refused, DNS, connect timeout, TLS, proxy
    HTTPClientError,  # read timeout, connection dropped mid-answer
    NoCredentialsError,
    CredentialRetrievalError,
)


@dataclass(frozen=True, slots=True)
class SqsEndpoint:
    """Where SQS answers; ``endpoint_url`` only for an SQS-compatible server.

    ``max_attempts`` counts the first try: 1 means no retry within a call.
    """

    region: str = "us-east-1"
    endpoint_url: str | None = None
    max_attempts: int = 3
    connect_timeout_seconds: float = 5.0

    def config(self) -> AioConfig:
        return AioConfig(
            connect_timeout=self.connect_timeout_seconds,
            # A long poll legitimately keeps the answer back for MAX_WAIT_SECONDS.
            read_timeout=MAX_WAIT_SECONDS + 10,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


@asynccontextmanager
async def sqs_client(
    endpoint: SqsEndpoint, session: aioboto3.Session | None = None
) -> AsyncIterator["SQSClient"]:
    """A client for the block; opening it does not contact SQS."""
    session = session or aioboto3.Session()
    async with session.client(
        "sqs",
        region_name=endpoint.region,
        endpoint_url=endpoint.endpoint_url,
        config=endpoint.config(),
    ) as client:
        yield client


@contextmanager
def unavailable_on_error(action: str) -> Iterator[None]:
    """Raise ``QueueUnavailable`` for whatever SQS or the way to it did wrong."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        raise QueueUnavailable(f"SQS {action} refused: {code}") from error
    except UNAVAILABLE_ERRORS as error:
        raise QueueUnavailable(f"SQS {action} failed: {error}") from error
