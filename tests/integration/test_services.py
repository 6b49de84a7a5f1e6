"""The service fixtures give real, reachable servers."""

from pathlib import Path

import aioboto3
import asyncpg  # type: ignore[import-untyped]
import pytest
import redis.asyncio as redis
from sqlalchemy.engine import make_url

from support.services import RedisServer, SqsServer


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_database_url_is_a_migrated_database_of_the_tests_own(database_url: str) -> None:
    assert database_url.startswith("postgresql+asyncpg://")
    connection = await asyncpg.connect(libpq(database_url))
    try:
        assert await connection.fetchval("SELECT 1") == 1
        name = await connection.fetchval("SELECT current_database()")
        migrated = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
    finally:
        await connection.close()
    assert name.startswith("test_")
    assert migrated


async def test_redis_url_answers_ping(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert await client.ping()
    finally:
        await client.aclose()


async def test_redis_comes_back_on_the_same_url_after_a_restart(tmp_path: Path) -> None:
    # A private server: restarting the shared one would drop other tests' data.
    server = RedisServer(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url)
    try:
        with server.stopped():
            assert not server.running
            with pytest.raises(redis.ConnectionError):
                await client.ping()
        assert await client.ping()
    finally:
        await client.aclose()
        server.stop()


async def test_sqs_endpoint_creates_and_lists_queues(sqs_server: SqsServer) -> None:
    async with aioboto3.Session().client("sqs", **sqs_server.client_kwargs()) as sqs:
        created = await sqs.create_queue(
            QueueName="services-check.fifo", Attributes={"FifoQueue": "true"}
        )
        listed = await sqs.list_queues(QueueNamePrefix="services-check")
    assert listed["QueueUrls"] == [created["QueueUrl"]]


async def test_sqs_comes_back_on_the_same_endpoint_after_a_restart(tmp_path: Path) -> None:
    server = SqsServer(tmp_path)
    server.start()
    try:
        endpoint = server.endpoint_url
        async with aioboto3.Session().client("sqs", **server.client_kwargs()) as sqs:
            await sqs.create_queue(QueueName="before-restart")
            server.restart()
            assert server.endpoint_url == endpoint
            await sqs.create_queue(QueueName="after-restart")
            listed = await sqs.list_queues()
    finally:
        server.stop()
    # A restarted moto keeps nothing: only the queue made since.
    assert [url.rsplit("/", 1)[-1] for url in listed["QueueUrls"]] == ["after-restart"]
