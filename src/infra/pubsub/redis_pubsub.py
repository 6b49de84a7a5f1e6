"""Fan-out through Redis pub/sub, so that every API replica hears every worker."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from application.event_stream import StreamInterrupted
from infra.pubsub.mailbox import Mailbox
from infra.pubsub.memory_pubsub import DEFAULT_BUFFER
from infra.pubsub.redis_listener import RedisListener


class RedisEventStream:
    """The EventStream port over Redis (redis.asyncio).

    Publishing goes through a small connection pool. Subscribing shares one
    connection per process, opened on the first subscription: after it is lost
    (Redis restarted, network cut) every open subscription ends with
    StreamInterrupted and the next subscription opens a new one. Nothing is
    retried behind the caller's back: a message published while a subscriber
    was not connected is simply not delivered to it, and the caller knows.
    """

    def __init__(
        self,
        url: str,
        *,
        buffer: int = DEFAULT_BUFFER,
        connect_timeout: float = 2.0,
        command_timeout: float = 2.0,
        ping_interval: float = 5.0,
        confirm_timeout: float = 10.0,
    ) -> None:
        # Redis down must not stall a mutation that publishes after its commit.
        no_retry = Retry(NoBackoff(), 0)
        self._publisher = Redis.from_url(
            url,
            protocol=2,
            socket_connect_timeout=connect_timeout,
            socket_timeout=command_timeout,
            retry=no_retry,
        )
        self._subscriber_pool = ConnectionPool.from_url(
            url,
            protocol=2,
            socket_connect_timeout=connect_timeout,
            socket_timeout=None,  # the listener waits for messages for as long as it takes
            retry=no_retry,
        )
        self._buffer = buffer
        self._ping_interval = ping_interval
        self._confirm_timeout = confirm_timeout
        self._listener: RedisListener | None = None
        self._connecting = asyncio.Lock()
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> int:
        try:
            receivers: int = await self._publisher.publish(channel, message)
        except (RedisError, OSError) as error:
            raise StreamInterrupted(f"could not publish to Redis: {error}") from error
        return receivers

    async def publish_many(self, channels: Sequence[str], message: bytes) -> None:
        try:
            async with self._publisher.pipeline(transaction=False) as pipeline:
                for channel in channels:
                    pipeline.publish(channel, message)
                await pipeline.execute()
        except (RedisError, OSError) as error:
            raise StreamInterrupted(f"could not publish to Redis: {error}") from error

    @property
    def listening(self) -> bool:
        """Whether the shared subscriber connection is open and healthy."""
        return self._listener is not None and self._listener.alive

    async def ping(self) -> None:
        """Raises when Redis does not answer (for readiness checks)."""
        await self._publisher.ping()

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[bytes]]:
        listener = await self._open_listener()
        mailbox = Mailbox(self._buffer)
        try:
            await listener.add(mailbox, channels)
            yield mailbox
        finally:
            listener.remove(mailbox, channels)

    async def close(self) -> None:
        """End every open subscription and close the connections: the process is stopping."""
        self._closed = True
        async with self._connecting:
            if self._listener is not None:
                await self._listener.close("the server is shutting down")
        await self._publisher.aclose()
        await self._subscriber_pool.disconnect()

    async def _open_listener(self) -> RedisListener:
        listener = self._listener
        if listener is not None and listener.alive:
            return listener
        async with self._connecting:
            if self._closed:
                raise StreamInterrupted("the event stream is closed")
            if self._listener is not None and self._listener.alive:
                return self._listener
            pool = self._subscriber_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            try:
                await connection.connect()  # type: ignore[no-untyped-call]
            except (RedisError, OSError) as error:
                await connection.disconnect(nowait=True)
                raise StreamInterrupted(f"cannot reach Redis: {error}") from error
            self._listener = RedisListener(
                connection,
                ping_interval=self._ping_interval,
                confirm_timeout=self._confirm_timeout,
            )
            return self._listener
