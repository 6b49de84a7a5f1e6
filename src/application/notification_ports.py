"""What the notification use cases need from storage and from the outside world: small
protocols, implemented in infra (SQL, HTTP, SMTP)."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.appointments import Appointment
from domain.calendar_invite import Invite
from domain.notices import Notice, Party, Preferences, Recipient
from domain.reminders import PlannedReminder
from domain.viewer import Role

PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: UUID
    url: str
    description: str | None
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    previous_secret_until: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: UUID
    endpoint_id: UUID
    appointment_id: UUID
    version: int
    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery as its log shows it."""

    id: UUID
    endpoint_id: UUID
    appointment_id: UUID
    version: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery to try now, with what signs it: every secret in force."""

    id: UUID
    endpoint_id: UUID
    url: str
    payload: dict[str, Any]
    secrets: tuple[str, ...]
    attempts: int


@dataclass(frozen=True, slots=True)
class AttemptResult:
    at: datetime
    duration_ms: int
    response_status: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str
    invite: Invite | None


@dataclass(frozen=True, slots=True)
class NewEmail:
    id: UUID
    dedupe_key: str
    appointment_id: UUID
    notice: Notice
    recipient: Recipient
    to: Party
    content: EmailContent


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    id: UUID
    to_address: str
    subject: str
    text: str
    html: str
    ics: str | None
    ics_method: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class DueReminder:
    id: int
    appointment_id: UUID
    minutes_before: int
    session_at: datetime


@dataclass(frozen=True, slots=True)
class People:
    patient: Party
    psychologist: Party


class NotificationStore(Protocol):
    """One transaction over the notification tables; nothing is kept without ``commit``."""

    async def commit(self) -> None: ...

    # Fan-out of one change.
    async def endpoints(self) -> list[Endpoint]: ...

    async def add_deliveries(self, deliveries: Sequence[NewDelivery], *, at: datetime) -> None:
        """Store new deliveries, due at once; one already stored for its endpoint and event
        is left as it is."""
        ...

    async def people(self, patient_id: UUID, psychologist_id: UUID) -> People | None: ...

    async def preferences(self, person_ids: Sequence[UUID]) -> dict[UUID, Preferences]: ...

    async def add_emails(self, emails: Sequence[NewEmail], *, at: datetime) -> None:
        """Store emails to send; one whose dedupe key is taken is left as it is."""
        ...

    async def plan_reminders(
        self, appointment_id: UUID, planned: Sequence[PlannedReminder], *, at: datetime
    ) -> None:
        """Keep exactly ``planned`` among the appointment's unsent reminders: the others
        are dropped, the new ones added (a reminder already sent stays sent)."""
        ...

    # Webhook deliveries.
    async def claim_deliveries(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        """Due deliveries of enabled endpoints, each the oldest one pending of its endpoint
        and appointment (so one appointment's events arrive in order), held until
        ``lease_until`` so that no other worker takes them meanwhile. Commits."""
        ...

    async def record_attempt(
        self, delivery_id: UUID, result: AttemptResult, *, retry_at: datetime | None
    ) -> None:
        """Log the attempt; delivered on success, else due again at ``retry_at``, or
        FAILED when None."""
        ...

    async def disable_endpoint(self, endpoint_id: UUID, reason: str, *, at: datetime) -> None: ...

    # Emails.
    async def claim_emails(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutgoingEmail]: ...

    async def record_email(
        self, email_id: UUID, *, at: datetime, error: str | None, retry_at: datetime | None
    ) -> None: ...

    # Reminders.
    async def due_reminders(self, *, now: datetime, limit: int) -> list[DueReminder]:
        """Unsent reminders due by ``now``, held until the transaction ends; those held by
        another worker are skipped (FOR UPDATE SKIP LOCKED)."""
        ...

    async def appointment(self, appointment_id: UUID) -> Appointment | None: ...

    async def close_reminder(self, reminder_id: int, *, sent: bool, at: datetime) -> None: ...

    # Administration.
    async def add_endpoint(self, endpoint: Endpoint, secret: str) -> None: ...

    async def endpoint(self, endpoint_id: UUID) -> Endpoint | None: ...

    async def rotate_secret(
        self, endpoint_id: UUID, secret: str, *, previous_until: datetime, at: datetime
    ) -> None: ...

    async def set_enabled(self, endpoint_id: UUID, enabled: bool, *, at: datetime) -> None: ...

    async def redeliver(self, delivery_id: UUID, *, at: datetime) -> bool:
        """Make a delivery due again now with a fresh set of attempts; False when unknown."""
        ...

    async def deliveries(
        self,
        *,
        endpoint_id: UUID | None,
        appointment_id: UUID | None,
        status: str | None,
        limit: int,
    ) -> list[Delivery]:
        """Newest first."""
        ...

    async def delivery(self, delivery_id: UUID) -> Delivery | None: ...

    # Preferences.
    async def person_id(self, role: Role, subject: str) -> UUID | None: ...

    async def set_preferences(
        self, person_id: UUID, preferences: Preferences, *, at: datetime
    ) -> None: ...


class OpenNotifications(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[NotificationStore]: ...


class WebhookSender(Protocol):
    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST and answer the response's status; raise ``DeliveryFailed`` when no
        response came (refused address, timeout, connection error)."""
        ...


class DeliveryFailed(Exception):
    """No response: the reason is logged with the attempt."""


class MailSender(Protocol):
    async def send(self, email: OutgoingEmail, *, sender: str) -> None:
        """Hand the email to the mail server; raise ``MailFailed`` when it was not taken."""
        ...


class MailFailed(Exception):
    pass


class Composer(Protocol):
    def compose(
        self,
        notice: Notice,
        *,
        recipient: Recipient,
        appointment: Appointment,
        people: People,
        reason: str | None,
        at: datetime,
        before_minutes: int | None = None,
    ) -> EmailContent: ...
