"""Due reminders become emails, once each however many workers scan: the scan holds the
due rows it takes (FOR UPDATE SKIP LOCKED on PostgreSQL; the embedded mode's single
writer on SQLite), and the emails and the reminder's ``sent`` commit together. A reminder
whose session was cancelled or moved meanwhile is dropped instead."""

from collections.abc import Callable
from datetime import datetime

from application.announcing import AnnounceChangeHandler
from application.notification_ports import OpenNotifications
from application.webhook_delivery import AttemptCount
from domain.notices import Notice
from domain.reminders import still_wanted


class SendRemindersHandler:
    def __init__(
        self,
        *,
        open_store: OpenNotifications,
        announcer: AnnounceChangeHandler,
        clock: Callable[[], datetime],
        batch: int = 50,
        on_stored: Callable[[], None] = lambda: None,
        count: AttemptCount | None = None,
    ) -> None:
        # ``tried``: reminders closed (sent or dropped); ``delivered``: those sent.
        self.count = count or AttemptCount()
        self._open = open_store
        self._announcer = announcer
        self._clock = clock
        self._batch = batch
        self._on_stored = on_stored

    async def __call__(self) -> int:
        """Handle the reminders due now; how many were sent or dropped."""
        now = self._clock()
        async with self._open() as store:
            due = await store.due_reminders(now=now, limit=self._batch)
            closed = []
            for reminder in due:
                appointment = await store.appointment(reminder.appointment_id)
                people = (
                    await store.people(appointment.patient_id, appointment.psychologist_id)
                    if appointment is not None
                    else None
                )
                wanted = still_wanted(reminder.session_at, appointment, now)
                if wanted and appointment is not None and people is not None:
                    emails = await self._announcer.emails(
                        store,
                        Notice.REMINDER,
                        appointment,
                        people,
                        key=(
                            f"{appointment.id}:reminder:{reminder.minutes_before}:"
                            f"{reminder.session_at.isoformat()}"
                        ),
                        reason=None,
                        at=now,
                        before_minutes=reminder.minutes_before,
                    )
                    await store.add_emails(emails, at=now)
                await store.close_reminder(reminder.id, sent=wanted, at=now)
                closed.append(wanted)
            await store.commit()
        for sent in closed:
            await self.count.counted(sent)
        if due:
            self._on_stored()
        return len(due)
