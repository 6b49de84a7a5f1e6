"""The delivery use case with a fake store and sender: what it records after each answer."""

import asyncio
import random
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import uuid4

from application.notification_ports import AttemptResult, DeliveryFailed, DueDelivery
from application.webhook_delivery import DeliverWebhooksHandler
from builders import NOW
from domain.webhook_retries import MAX_ATTEMPTS, nominal_delay
from domain.webhook_signing import new_secret

SECRET = new_secret(b"k" * 32)


@dataclass
class FakeStore:
    due: list[DueDelivery]
    recorded: list[tuple[AttemptResult, object]] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    commits: int = 0

    async def claim_deliveries(self, *, now, lease_until, limit):
        taken, self.due = self.due[:limit], self.due[limit:]
        return taken

    async def record_attempt(self, delivery_id, result, *, retry_at):
        self.recorded.append((result, retry_at))

    async def disable_endpoint(self, endpoint_id, reason, *, at):
        self.disabled.append(reason)

    async def commit(self):
        self.commits += 1


class Sender:
    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    async def post(self, url, headers, body):
        self.sent.append(headers)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def handler(store, sender):
    @asynccontextmanager
    async def open_store():
        yield store

    return DeliverWebhooksHandler(
        open_store=open_store,
        sender=sender,
        clock=lambda: NOW,
        wall_clock=lambda: NOW,
        rng=random.Random(1),
    )


def due(attempts=0):
    return DueDelivery(uuid4(), uuid4(), "https://crm.example/hook", {"a": 1}, (SECRET,), attempts)


async def run_once(store, sender):
    deliver = handler(store, sender)
    started = await deliver()
    await deliver.drain()
    return started


async def test_a_2xx_answer_is_recorded_as_delivered_and_nothing_is_retried():
    store = FakeStore([due()])
    assert await run_once(store, Sender(204)) == 1
    [(result, retry_at)] = store.recorded
    assert result.succeeded
    assert retry_at is None
    assert store.disabled == []


async def test_a_failed_attempt_is_retried_after_the_schedules_delay_with_jitter():
    store = FakeStore([due(attempts=2)])
    await run_once(store, Sender(DeliveryFailed("ConnectError")))
    [(result, retry_at)] = store.recorded
    assert result.error == "ConnectError"
    wait = retry_at - NOW
    assert nominal_delay(3) * 0.8 <= wait <= nominal_delay(3) * 1.2


async def test_a_redirect_is_a_failure_like_any_answer_but_2xx():
    store = FakeStore([due()])
    await run_once(store, Sender(302))
    [(result, retry_at)] = store.recorded
    assert not result.succeeded
    assert result.error == "answered 302"
    assert retry_at is not None


async def test_the_last_attempt_failing_gives_up_and_disables_the_endpoint():
    store = FakeStore([due(attempts=MAX_ATTEMPTS - 1)])
    await run_once(store, Sender(500))
    [(_, retry_at)] = store.recorded
    assert retry_at is None
    [reason] = store.disabled
    assert "answered 500" in reason


async def test_every_attempt_is_signed_with_the_same_message_id():
    delivery = due()
    first, second = FakeStore([delivery]), FakeStore([delivery])
    sender = Sender(500)
    await run_once(first, sender)
    await run_once(second, sender)
    assert sender.sent[0]["webhook-id"] == sender.sent[1]["webhook-id"] == f"msg_{delivery.id.hex}"


async def test_no_more_deliveries_are_in_flight_than_allowed():
    store = FakeStore([due() for _ in range(5)])
    gate = asyncio.Event()

    class Slow:
        async def post(self, url, headers, body):
            await gate.wait()
            return 200

    @asynccontextmanager
    async def open_store():
        yield store

    deliver = DeliverWebhooksHandler(
        open_store=open_store,
        sender=Slow(),
        clock=lambda: NOW,
        wall_clock=lambda: NOW,
        batch=10,
        concurrency=2,
    )
    assert await deliver() == 2
    blocked = asyncio.create_task(deliver())
    await asyncio.sleep(0)
    assert not blocked.done()
    gate.set()
    assert await blocked == 2
    await deliver.drain()
    assert len(store.recorded) == 4
