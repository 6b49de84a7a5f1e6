"""The Redis listener's own behaviour on a real Redis, beyond the event-stream contract."""

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from infra.pubsub.redis_pubsub import RedisEventStream

PING_INTERVAL = 0.05


async def pinged_while_subscribed_to_nothing(admin: Redis) -> bool:
    clients = await admin.client_list()
    return any(c["cmd"] == "ping" and c["sub"] == "0" and c["psub"] == "0" for c in clients)


def stream_alive(stream: RedisEventStream) -> bool:
    return stream.listening


async def test_the_keepalive_answer_with_no_channel_left_is_no_surprise(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Subscribed to no channel, Redis answers PING with a plain PONG, not ["pong", ""].
    stream = RedisEventStream(redis_url, ping_interval=PING_INTERVAL)
    admin = Redis.from_url(redis_url)
    try:
        async with stream.subscribe(["listener-test:a"]):
            pass
        async with asyncio.timeout(30):
            while not await pinged_while_subscribed_to_nothing(admin):
                assert stream_alive(stream)
                await asyncio.sleep(PING_INTERVAL)
        with caplog.at_level(logging.WARNING, logger="appointment_api.pubsub"):
            # Answers come in order: once this is confirmed, the PONG has been read.
            async with stream.subscribe(["listener-test:b"]):
                pass
    finally:
        await admin.aclose()
        await stream.close()

    surprises = [r.getMessage() for r in caplog.records if "unexpected" in r.getMessage()]
    assert surprises == []
