"""Sending the stored emails through the mail server, retried with the same backoff as
webhooks; a decision never waits for any of it."""

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from application.notification_ports import MailFailed, MailSender, OpenNotifications
from application.webhook_delivery import AttemptCount
from domain.webhook_retries import retry_delay

log = logging.getLogger("appointment_api.emails")
LEASE = timedelta(minutes=2)


class SendEmailsHandler:
    def __init__(
        self,
        *,
        open_store: OpenNotifications,
        sender: MailSender,
        clock: Callable[[], datetime],
        from_address: str,
        rng: random.Random | None = None,
        batch: int = 20,
        count: AttemptCount | None = None,
    ) -> None:
        self.count = count or AttemptCount()
        self._open = open_store
        self._sender = sender
        self._clock = clock
        self._from = from_address
        self._rng = rng or random.Random()
        self._batch = batch

    async def __call__(self) -> int:
        now = self._clock()
        async with self._open() as store:
            due = await store.claim_emails(now=now, lease_until=now + LEASE, limit=self._batch)
        for email in due:
            error: str | None = None
            try:
                await self._sender.send(email, sender=self._from)
            except MailFailed as failure:
                error = str(failure) or type(failure).__name__
                log.warning("email not sent", extra={"email_id": str(email.id), "error": error})
            at = self._clock()
            retry_at = None
            if error is not None:
                delay = retry_delay(email.attempts + 1, self._rng.random())
                retry_at = None if delay is None else at + delay
            async with self._open() as store:
                await store.record_email(email.id, at=at, error=error, retry_at=retry_at)
                await store.commit()
            await self.count.counted(error is None)
        return len(due)
