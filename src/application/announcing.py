"""The worker's side of a notice: in one transaction, a webhook delivery for every endpoint
that wants the event, an email to each person the notice concerns (as they chose), and
the session's reminders planned again. Idempotent: a notice handled twice (the queue
delivers at least once) stores nothing new."""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from application.notice_messages import AnnounceChange
from application.notification_ports import (
    Composer,
    NewDelivery,
    NewEmail,
    NotificationStore,
    OpenNotifications,
    People,
)
from application.webhook_payload import payload
from domain.appointments import Appointment
from domain.notices import Notice, Recipient, event_type, notice_for, recipients
from domain.reminders import plan

log = logging.getLogger("appointment_api.notifications")


class AnnounceChangeHandler:
    def __init__(
        self,
        *,
        open_store: OpenNotifications,
        composer: Composer,
        clock: Callable[[], datetime],
        new_id: Callable[[], UUID],
        reminder_offsets: Sequence[timedelta],
        emails: bool = True,
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        """``emails``: False where no mail server is configured (nothing would send them)."""
        self._emails_on = emails
        self._open = open_store
        self._composer = composer
        self._clock = clock
        self._new_id = new_id
        self._offsets = tuple(reminder_offsets)
        self._on_stored = on_stored

    async def __call__(self, command: AnnounceChange) -> None:
        appointment, event = command.change.appointment, command.change.event
        now = self._clock()
        kind = event_type(event)
        async with self._open() as store:
            people = await store.people(appointment.patient_id, appointment.psychologist_id)
            wanting = [e for e in await store.endpoints() if e.wants(kind)]
            body = payload(appointment, event, people)
            await store.add_deliveries(
                [
                    NewDelivery(
                        id=self._new_id(),
                        endpoint_id=endpoint.id,
                        appointment_id=appointment.id,
                        version=event.version,
                        event_type=kind,
                        payload=body,
                    )
                    for endpoint in wanting
                ],
                at=now,
            )
            notice = notice_for(event)
            if notice is not None and people is not None and self._emails_on:
                emails = await self.emails(
                    store,
                    notice,
                    appointment,
                    people,
                    key=f"{appointment.id}:v{event.version}",
                    reason=event.reason,
                    at=now,
                )
                await store.add_emails(emails, at=now)
            await store.plan_reminders(
                appointment.id, plan(appointment, self._offsets, now), at=now
            )
            await store.commit()
        self._on_stored()

    async def emails(
        self,
        store: NotificationStore,
        notice: Notice,
        appointment: Appointment,
        people: People,
        *,
        key: str,
        reason: str | None,
        at: datetime,
        before_minutes: int | None = None,
    ) -> list[NewEmail]:
        """The emails ``notice`` sends about ``appointment``, as each person chose."""
        if not self._emails_on:
            return []
        ids = {
            Recipient.PATIENT: appointment.patient_id,
            Recipient.PSYCHOLOGIST: appointment.psychologist_id,
        }
        chosen = await store.preferences(list(ids.values()))
        by_role = {role: chosen[person] for role, person in ids.items() if person in chosen}
        parties = {Recipient.PATIENT: people.patient, Recipient.PSYCHOLOGIST: people.psychologist}
        return [
            NewEmail(
                id=self._new_id(),
                dedupe_key=f"{key}:{recipient.value.lower()}",
                appointment_id=appointment.id,
                notice=notice,
                recipient=recipient,
                to=parties[recipient],
                content=self._composer.compose(
                    notice,
                    recipient=recipient,
                    appointment=appointment,
                    people=people,
                    reason=reason,
                    at=at,
                    before_minutes=before_minutes,
                ),
            )
            for recipient in recipients(notice, by_role)
        ]
