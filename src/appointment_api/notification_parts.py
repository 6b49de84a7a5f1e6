"""The notifications as the composition root builds them: the store, the use cases on it,
the senders (HTTP for webhooks, SMTP for email, or the embedded mail catcher) and the
loops the worker runs."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from uuid6 import uuid7

from application.announcing import AnnounceChangeHandler
from application.email_delivery import SendEmailsHandler
from application.notification_preferences import NotificationPreferencesHandler
from application.reminder_sending import SendRemindersHandler
from application.webhook_admin import WebhookAdmin
from application.webhook_delivery import DeliverWebhooksHandler
from domain.reminders import parse_offsets
from domain.webhook_addresses import parse_networks
from infra.config import Settings
from infra.db.notification_store import SqlNotifications
from infra.db.write_lock import WriteLock
from infra.mail.catcher import MailCatcher
from infra.mail.smtp_sender import SmtpSender, SmtpServer
from infra.mail.templates import TemplateComposer
from infra.webhooks.http_sender import HttpWebhookSender
from worker.backoff import Backoff
from worker.notification_loops import NotificationLoops, Step, Wakeup

Clock = Callable[[], datetime]


@dataclass
class Notifications:
    announce: AnnounceChangeHandler
    deliver_webhooks: DeliverWebhooksHandler
    send_emails: SendEmailsHandler | None
    send_reminders: SendRemindersHandler
    webhooks: WebhookAdmin
    preferences: NotificationPreferencesHandler
    wakeup: Wakeup
    webhook_sender: HttpWebhookSender
    smtp: SmtpSender | None
    # The embedded mode's mail catcher, started with its worker.
    catcher: MailCatcher | None

    def loops(self, settings: Settings, outage_backoff: Callable[[], Backoff]) -> NotificationLoops:
        steps: list[tuple[str, Step]] = [
            ("webhooks", self.deliver_webhooks),
            ("reminders", self.send_reminders),
        ]
        if self.send_emails is not None:
            steps.append(("emails", self.send_emails))
        return NotificationLoops(
            steps,
            wakeup=self.wakeup,
            idle_seconds=settings.notifications_idle_seconds,
            outage_backoff=outage_backoff,
            on_stop=[self.deliver_webhooks.drain],
        )

    async def start_catcher(self) -> None:
        if self.catcher is not None and self.smtp is not None:
            port = await self.catcher.start()
            self.smtp.point_at(SmtpServer("127.0.0.1", port, tls="none"))

    async def close(self) -> None:
        try:
            await self.webhook_sender.close()
        finally:
            if self.catcher is not None:
                await self.catcher.close()


def _smtp(settings: Settings) -> SmtpSender | None:
    if settings.smtp_host is None:
        # Embedded: pointed at the catcher once it listens.
        return (
            SmtpSender(SmtpServer("127.0.0.1", 25, tls="none")) if settings.catches_mail else None
        )
    return SmtpSender(
        SmtpServer(
            settings.smtp_host,
            settings.smtp_port,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
            ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )
    )


def build_notifications(
    settings: Settings,
    engine: AsyncEngine,
    write_lock: WriteLock,
    *,
    clock: Clock,
    wall_clock: Clock,
    embedded: bool,
    rng: random.Random | None = None,
) -> Notifications:
    """``embedded``: this process runs the worker, so the mail catcher (when no SMTP server
    is configured, outside production) lives here too."""
    rng = rng or random.Random()
    open_store = SqlNotifications(engine, write_lock)
    wakeup = Wakeup()
    smtp = _smtp(settings) if (settings.smtp_host or embedded) else None
    composer = TemplateComposer()
    announce = AnnounceChangeHandler(
        open_store=open_store,
        composer=composer,
        clock=clock,
        new_id=uuid7,
        reminder_offsets=parse_offsets(settings.reminder_offsets),
        emails=smtp is not None,
        on_stored=wakeup,
    )
    sender = HttpWebhookSender(
        timeout=settings.webhook_timeout_seconds,
        guard=settings.is_production,
        allowed=parse_networks(",".join(settings.webhook_allowed_networks)),
    )
    return Notifications(
        announce=announce,
        deliver_webhooks=DeliverWebhooksHandler(
            open_store=open_store, sender=sender, clock=clock, wall_clock=wall_clock, rng=rng
        ),
        send_emails=(
            SendEmailsHandler(
                open_store=open_store,
                sender=smtp,
                clock=clock,
                from_address=settings.smtp_from,
                rng=rng,
            )
            if smtp is not None
            else None
        ),
        send_reminders=SendRemindersHandler(
            open_store=open_store, announcer=announce, clock=clock, on_stored=wakeup
        ),
        webhooks=WebhookAdmin(
            open_store=open_store,
            clock=clock,
            new_id=uuid7,
            production=settings.is_production,
            on_redelivery=wakeup,
        ),
        preferences=NotificationPreferencesHandler(open_store=open_store, clock=clock),
        wakeup=wakeup,
        webhook_sender=sender,
        smtp=smtp,
        catcher=MailCatcher() if smtp is not None and settings.smtp_host is None else None,
    )
