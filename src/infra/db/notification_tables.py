"""The notification tables: webhook endpoints and their deliveries, outgoing emails,
planned reminders, and people's notification preferences. Same metadata as the rest."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from infra.db.tables import Serial, metadata
from infra.db.types import JsonDocument, UtcDateTime

DELIVERY_STATUSES = ("PENDING", "DELIVERED", "FAILED")
PENDING_ONLY = text("status = 'PENDING'")

# The signing secrets are kept as they are: an HMAC needs the key itself, so a hash would
# not do. Only admins read this table, through the use cases, which never show a secret
# again after it is made.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("description", Text),
    # The event types wanted; empty: every one.
    Column("event_types", JsonDocument, nullable=False),
    Column("secret", String(200), nullable=False),
    # After a rotation the old secret also signs until ``previous_secret_until``.
    Column("previous_secret", String(200)),
    Column("previous_secret_until", UtcDateTime),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    # Also the message's ``webhook-id``: the same on every attempt.
    Column("id", Uuid, primary_key=True),
    Column("endpoint_id", Uuid, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("appointment_id", Uuid, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("payload", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime),
    Column("response_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in DELIVERY_STATUSES)})", name="status"),
    # One delivery per endpoint and event, however often the event's message arrives.
    UniqueConstraint(
        "endpoint_id", "appointment_id", "version", name="uq_webhook_deliveries_event"
    ),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    ),
    Index("ix_webhook_deliveries_endpoint_created_at", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("delivery_id", Uuid, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("response_status", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),
)

outgoing_emails = Table(
    "outgoing_emails",
    metadata,
    Column("id", Uuid, primary_key=True),
    # What the email is about and for whom: the same message arriving twice makes one email.
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("appointment_id", Uuid, nullable=False),
    Column("notice", String(16), nullable=False),
    Column("recipient", String(16), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("ics", Text),
    Column("ics_method", String(8)),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in DELIVERY_STATUSES)})", name="status"),
    Index(
        "ix_outgoing_emails_due",
        "next_attempt_at",
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    ),
)

UNSENT = text("sent_at IS NULL AND dropped_at IS NULL")

reminders = Table(
    "reminders",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("appointment_id", Uuid, nullable=False),
    Column("minutes_before", Integer, nullable=False),
    # The start the reminder was planned for: a moved session gets new ones.
    Column("session_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("dropped_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("appointment_id", "minutes_before", "session_at", name="uq_reminders_session"),
    Index("ix_reminders_due", "due_at", postgresql_where=UNSENT, sqlite_where=UNSENT),
    Index("ix_reminders_appointment_id", "appointment_id"),
)

notification_preferences = Table(
    "notification_preferences",
    metadata,
    # A patient's or a psychologist's id.
    Column("person_id", Uuid, primary_key=True),
    Column("email_enabled", Boolean, nullable=False),
    # The notices a psychologist wants; NULL: every one.
    Column("notices", JsonDocument),
    Column("updated_at", UtcDateTime, nullable=False),
)
