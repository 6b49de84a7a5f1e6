"""Webhook deliveries: take the due ones, sign and send each, record what came back, retry
with backoff for about a day, then give up and disable the endpoint."""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson

from application.notification_ports import (
    AttemptResult,
    DeliveryFailed,
    DueDelivery,
    OpenNotifications,
    WebhookSender,
)
from domain.webhook_retries import retry_delay
from domain.webhook_signing import headers

log = logging.getLogger("appointment_api.webhooks")
# A claimed delivery is held this long: should the worker die while sending, another
# worker takes it after that (at least once).
LEASE = timedelta(minutes=2)


class AttemptCount:
    """How many attempts this process made and how many delivered: for metrics, benches
    and whoever waits for the next attempt to be recorded."""

    def __init__(self) -> None:
        self.tried = 0
        self.delivered = 0
        self._changed = asyncio.Condition()

    async def counted(self, succeeded: bool) -> None:
        async with self._changed:
            self.tried += 1
            self.delivered += succeeded
            self._changed.notify_all()

    async def wait_for_tried(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.tried >= count)


class DeliverWebhooksHandler:
    def __init__(
        self,
        *,
        open_store: OpenNotifications,
        sender: WebhookSender,
        clock: Callable[[], datetime],
        wall_clock: Callable[[], datetime],
        rng: random.Random | None = None,
        batch: int = 20,
        concurrency: int = 50,
        count: AttemptCount | None = None,
    ) -> None:
        """Up to ``concurrency`` deliveries are in flight at once, each on its own: a slow
        endpoint holds only its own, never the others' (nor anything else)."""
        self.count = count or AttemptCount()
        self._concurrency = concurrency
        self._in_flight: set[asyncio.Task[None]] = set()
        self._open = open_store
        self._sender = sender
        self._clock = clock
        # The signature's timestamp is checked by receivers against their own clock.
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._batch = batch

    async def __call__(self) -> int:
        """Start sending deliveries due now (once a place in flight is free); how many."""
        while len(self._in_flight) >= self._concurrency:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        now = self._clock()
        limit = min(self._batch, self._concurrency - len(self._in_flight))
        async with self._open() as store:
            due = await store.claim_deliveries(now=now, lease_until=now + LEASE, limit=limit)
        for delivery in due:
            task = asyncio.create_task(self._deliver(delivery))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return len(due)

    def _finished(self, task: "asyncio.Task[None]") -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The lease ends and another attempt follows; the error must still be seen.
            log.error("webhook delivery crashed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for the deliveries in flight (on the way out)."""
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _deliver(self, delivery: DueDelivery) -> None:
        body = orjson.dumps(delivery.payload)
        message_id = f"msg_{delivery.id.hex}"
        timestamp = int(self._wall_clock().timestamp())
        sent = headers(delivery.secrets, message_id, timestamp, body)
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status = await self._sender.post(delivery.url, sent, body)
            if not 200 <= status < 300:
                error = f"answered {status}"
        except DeliveryFailed as failure:
            error = str(failure) or type(failure).__name__
        result = AttemptResult(
            at=self._clock(),
            duration_ms=int((time.monotonic() - started) * 1000),
            response_status=status,
            error=error,
        )
        retry_at = None
        if not result.succeeded:
            delay = retry_delay(delivery.attempts + 1, self._rng.random())
            retry_at = None if delay is None else result.at + delay
            log.warning(
                "webhook delivery failed",
                extra={"delivery_id": str(delivery.id), "error": error, "retry_at": str(retry_at)},
            )
        async with self._open() as store:
            await store.record_attempt(delivery.id, result, retry_at=retry_at)
            if not result.succeeded and retry_at is None:
                await store.disable_endpoint(
                    delivery.endpoint_id,
                    f"Every attempt of delivery {message_id} failed (last: {error}).",
                    at=result.at,
                )
            await store.commit()
        await self.count.counted(result.succeeded)
