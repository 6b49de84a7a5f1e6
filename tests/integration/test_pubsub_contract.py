"""One contract for every EventStream adapter: in-process, and Redis (a real server).

With Redis the publishing side is a second adapter instance, as another process
(a worker) would be; in-process both sides are the same object, as in the
embedded mode.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from application.event_stream import EventStream, StreamInterrupted, SubscriberTooSlow
from infra.pubsub.memory_pubsub import InMemoryEventStream
from infra.pubsub.redis_pubsub import RedisEventStream
from support.services import RedisServer

WAIT = 5.0

Adapter = InMemoryEventStream | RedisEventStream


@dataclass
class Pair:
    """The side that subscribes, and the side that publishes (maybe the same)."""

    subscriber: Adapter
    publisher: Adapter


PairFactory = Callable[..., Awaitable[Pair]]


def channel(name: str = "appointment") -> str:
    return f"{name}:{uuid.uuid4()}"


async def next_message(messages: AsyncIterator[bytes]) -> bytes:
    async with asyncio.timeout(WAIT):
        return await anext(messages)


async def messages_until(messages: AsyncIterator[bytes], last: bytes) -> list[bytes]:
    got: list[bytes] = []
    async with asyncio.timeout(WAIT):
        while not got or got[-1] != last:
            got.append(await anext(messages))
    return got


@pytest.fixture
async def memory_pairs() -> AsyncIterator[PairFactory]:
    async with AsyncExitStack() as stack:

        async def make(*, buffer: int = 64) -> Pair:
            stream = InMemoryEventStream(buffer=buffer)
            stack.push_async_callback(stream.close)
            return Pair(stream, stream)

        yield make


@pytest.fixture
async def redis_pairs(redis_url: str) -> AsyncIterator[PairFactory]:
    async with AsyncExitStack() as stack:

        async def make(*, buffer: int = 64) -> Pair:
            subscriber = RedisEventStream(redis_url, buffer=buffer)
            publisher = RedisEventStream(redis_url)
            stack.push_async_callback(subscriber.close)
            stack.push_async_callback(publisher.close)
            return Pair(subscriber, publisher)

        yield make


@pytest.fixture(params=["memory", "redis"])
def pairs(request: pytest.FixtureRequest) -> PairFactory:
    factory: PairFactory = request.getfixturevalue(f"{request.param}_pairs")
    return factory


def test_both_adapters_implement_the_port() -> None:
    def accepts(_: EventStream) -> None:
        return None

    accepts(InMemoryEventStream())
    accepts(RedisEventStream("redis://127.0.0.1:1/0"))


async def test_a_message_published_once_subscribe_returns_is_delivered(
    pairs: PairFactory,
) -> None:
    pair = await pairs()
    name = channel()
    async with pair.subscriber.subscribe([name]) as messages:
        receivers = await pair.publisher.publish(name, b"first")
        assert receivers >= 1
        assert await next_message(messages) == b"first"


async def test_one_message_published_on_several_channels_reaches_each_of_them(
    pairs: PairFactory,
) -> None:
    pair = await pairs()
    names = [channel("appointment"), channel("patient"), channel("psychologist")]
    async with AsyncExitStack() as stack:
        listeners = [await stack.enter_async_context(pair.subscriber.subscribe([n])) for n in names]
        both = await stack.enter_async_context(pair.subscriber.subscribe(names[:2]))
        await pair.publisher.publish_many(names, b"cancelled")
        await pair.publisher.publish(names[0], b"next")
        for messages in listeners:
            assert await next_message(messages) == b"cancelled"
        # Subscribed to two of the channels: the message once per channel, then the next.
        assert await messages_until(both, b"next") == [b"cancelled", b"cancelled", b"next"]


async def test_messages_arrive_in_the_order_published(pairs: PairFactory) -> None:
    pair = await pairs(buffer=500)
    name = channel()
    sent = [f"event-{n}".encode() for n in range(200)]
    async with pair.subscriber.subscribe([name]) as messages:
        for message in sent:
            await pair.publisher.publish(name, message)
        assert await messages_until(messages, sent[-1]) == sent


async def test_every_subscriber_of_a_channel_gets_every_message(pairs: PairFactory) -> None:
    pair = await pairs()
    name = channel()
    async with AsyncExitStack() as stack:
        subscribers = [
            await stack.enter_async_context(pair.subscriber.subscribe([name])) for _ in range(5)
        ]
        await pair.publisher.publish(name, b"one")
        await pair.publisher.publish(name, b"two")
        for messages in subscribers:
            assert await messages_until(messages, b"two") == [b"one", b"two"]


async def test_a_subscriber_hears_only_its_channels(pairs: PairFactory) -> None:
    pair = await pairs()
    mine, yours, also_mine = channel(), channel(), channel("patient")
    async with pair.subscriber.subscribe([mine, also_mine]) as messages:
        await pair.publisher.publish(yours, b"not for me")
        await pair.publisher.publish(mine, b"mine")
        await pair.publisher.publish(also_mine, b"also mine")
        assert await messages_until(messages, b"also mine") == [b"mine", b"also mine"]


async def test_nothing_is_delivered_after_leaving_and_others_keep_receiving(
    pairs: PairFactory,
) -> None:
    pair = await pairs()
    name = channel()
    async with pair.subscriber.subscribe([name]) as staying:
        async with pair.subscriber.subscribe([name]) as leaving:
            await pair.publisher.publish(name, b"both")
            assert await next_message(leaving) == b"both"
        await pair.publisher.publish(name, b"after")
        assert await messages_until(staying, b"after") == [b"both", b"after"]


async def test_when_the_last_subscriber_leaves_nobody_receives(pairs: PairFactory) -> None:
    pair = await pairs()
    name = channel()
    async with pair.subscriber.subscribe([name]) as messages:
        await pair.publisher.publish(name, b"heard")
        assert await next_message(messages) == b"heard"
    # The broker handles a subscriber's requests in order: once a later subscription is
    # confirmed, the channel left before it is gone too.
    async with pair.subscriber.subscribe([channel()]):
        assert await pair.publisher.publish(name, b"unheard") == 0


async def test_a_channel_left_and_taken_again_at_once_delivers_what_follows(
    pairs: PairFactory,
) -> None:
    pair = await pairs()
    name = channel()
    for round_ in range(20):
        async with pair.subscriber.subscribe([name]) as messages:
            message = f"round-{round_}".encode()
            await pair.publisher.publish(name, message)
            assert await next_message(messages) == message


async def test_a_subscriber_that_falls_behind_gets_what_fitted_then_subscriber_too_slow(
    pairs: PairFactory,
) -> None:
    pair = await pairs(buffer=4)
    name = channel()
    async with (
        pair.subscriber.subscribe([name]) as slow,
        pair.subscriber.subscribe([name]) as keeping_up,
    ):
        sent = [f"m{n}".encode() for n in range(6)]
        received = []
        for message in sent:
            await pair.publisher.publish(name, message)
            # Reading the other subscriber proves the message reached both mailboxes.
            received.append(await next_message(keeping_up))
        assert received == sent

        assert [await next_message(slow) for _ in range(4)] == sent[:4]
        with pytest.raises(SubscriberTooSlow):
            await next_message(slow)


async def test_closing_ends_open_subscriptions_and_refuses_new_ones(pairs: PairFactory) -> None:
    pair = await pairs()
    name = channel()
    async with pair.subscriber.subscribe([name]) as messages:
        await pair.publisher.publish(name, b"before")
        assert await next_message(messages) == b"before"
        await pair.subscriber.close()
        with pytest.raises(StreamInterrupted):
            await next_message(messages)
    with pytest.raises(StreamInterrupted):
        async with pair.subscriber.subscribe([name]):
            pass


async def test_many_subscribers_at_once_all_receive(pairs: PairFactory) -> None:
    pair = await pairs()
    names = [channel() for _ in range(50)]
    async with AsyncExitStack() as stack:
        opened = await asyncio.gather(
            *(
                stack.enter_async_context(pair.subscriber.subscribe([name, "shared-" + names[0]]))
                for name in names
            )
        )
        await pair.publisher.publish("shared-" + names[0], b"to everyone")
        for name in names:
            await pair.publisher.publish(name, name.encode())
        for name, messages in zip(names, opened, strict=True):
            assert await messages_until(messages, name.encode()) == [b"to everyone", name.encode()]


# --- Redis only -----------------------------------------------------------------------------


async def test_one_redis_connection_carries_every_subscription_of_a_process(
    redis_url: str, redis_pairs: PairFactory
) -> None:
    pair = await redis_pairs()
    client = Redis.from_url(redis_url)
    try:
        before = len(await client.client_list(_type="pubsub"))
        async with AsyncExitStack() as stack:
            for _ in range(30):
                await stack.enter_async_context(pair.subscriber.subscribe([channel()]))
            assert len(await client.client_list(_type="pubsub")) == before + 1
    finally:
        await client.aclose()


async def test_redis_stopping_interrupts_subscriptions_and_they_work_again_after(
    redis_server: RedisServer, redis_pairs: PairFactory
) -> None:
    pair = await redis_pairs()
    name = channel()
    async with pair.subscriber.subscribe([name]) as messages:
        await pair.publisher.publish(name, b"before")
        assert await next_message(messages) == b"before"
        with redis_server.stopped():
            with pytest.raises(StreamInterrupted):
                await next_message(messages)
            with pytest.raises(StreamInterrupted):
                async with pair.subscriber.subscribe([name]):
                    pass
            with pytest.raises(StreamInterrupted):
                await pair.publisher.publish(name, b"lost")
            with pytest.raises(StreamInterrupted):
                await pair.publisher.publish_many([name, channel()], b"lost too")

    async with pair.subscriber.subscribe([name]) as messages:
        await pair.publisher.publish(name, b"after the restart")
        assert await next_message(messages) == b"after the restart"
