"""The HTTP sender against real servers: timeouts, no redirects, and the address guard that
production turns on."""

import asyncio
import ipaddress

import pytest

from application.notification_ports import DeliveryFailed
from infra.webhooks.http_sender import HttpWebhookSender
from support.webhook_receiver import WebhookReceiver


@pytest.fixture
async def receiver():
    server = WebhookReceiver()
    await server.start()
    yield server
    await server.stop()


async def test_with_the_guard_on_loopback_is_refused_before_any_connection(receiver):
    sender = HttpWebhookSender(guard=True)
    try:
        with pytest.raises(DeliveryFailed, match="not a public address"):
            await sender.post(receiver.url, {}, b"{}")
        with pytest.raises(DeliveryFailed, match="not a public address"):
            await sender.post(receiver.url.replace("127.0.0.1", "localhost"), {}, b"{}")
    finally:
        await sender.close()
    assert receiver.received == []


async def test_an_allow_listed_network_is_called_with_its_host_kept(receiver):
    sender = HttpWebhookSender(guard=True, allowed=[ipaddress.ip_network("127.0.0.0/8")])
    try:
        status = await sender.post(receiver.url.replace("127.0.0.1", "localhost"), {}, b"{}")
    finally:
        await sender.close()
    assert status == 200
    [request] = receiver.received
    assert request.headers["host"] == f"localhost:{receiver.port}"
    assert request.path == "/hooks"


async def test_a_redirect_is_an_answer_not_followed(receiver):
    receiver.answer = lambda _: 307
    sender = HttpWebhookSender(guard=False)
    try:
        assert await sender.post(receiver.url, {}, b"{}") == 307
    finally:
        await sender.close()
    assert len(receiver.received) == 1


async def test_a_receiver_that_does_not_answer_in_time_is_a_failure(receiver):
    receiver.delay = 5
    sender = HttpWebhookSender(guard=False, timeout=0.3)
    try:
        async with asyncio.timeout(3):
            with pytest.raises(DeliveryFailed, match="Timeout"):
                await sender.post(receiver.url, {}, b"{}")
    finally:
        await sender.close()


async def test_nobody_listening_is_a_failure():
    receiver = WebhookReceiver()
    sender = HttpWebhookSender(guard=False, timeout=1)
    try:
        with pytest.raises(DeliveryFailed, match="Connect"):
            await sender.post(receiver.url, {}, b"{}")
    finally:
        await sender.close()
