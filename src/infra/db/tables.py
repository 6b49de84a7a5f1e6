"""The tables, as SQLAlchemy Core metadata shared by the queries and the migrations."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

from infra.db.types import JsonDocument, UtcDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid alias).
Serial = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

STATUSES = ("PENDING", "CONFIRMED", "REJECTED", "CANCELLED", "COMPLETED", "NO_SHOW")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


psychologists = Table(
    "psychologists",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject", String(200), unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("specialties", JsonDocument, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("working_hours", JsonDocument, nullable=False),
    Column("default_duration_minutes", Integer, nullable=False),
    Column("consultation_fee", Numeric(10, 2), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("bio", Text),
    Column("languages", JsonDocument, nullable=False, server_default=text("'[]'")),
    # Booking settings; NULL (or an empty list) leaves the practice's default.
    Column("min_notice_minutes", Integer),
    Column("max_advance_days", Integer),
    Column("buffer_before_minutes", Integer, nullable=False, server_default=text("0")),
    Column("buffer_after_minutes", Integer, nullable=False, server_default=text("0")),
    Column("session_durations", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("offerings", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("max_sessions_per_day", Integer),
    # The session policy: the psychologist's answer to each request, and late cancellations.
    Column("requires_confirmation", Boolean, nullable=False, server_default=text("false")),
    Column("confirmation_timeout_minutes", Integer, nullable=False, server_default=text("1440")),
    Column("cancellation_window_minutes", Integer, nullable=False, server_default=text("0")),
    Column("late_cancellation_fee", Numeric(10, 2)),
    CheckConstraint("default_duration_minutes BETWEEN 15 AND 240", name="duration"),
    CheckConstraint("buffer_before_minutes BETWEEN 0 AND 240", name="buffer_before"),
    CheckConstraint("buffer_after_minutes BETWEEN 0 AND 240", name="buffer_after"),
    CheckConstraint("max_sessions_per_day >= 1", name="max_sessions_per_day"),
    Index("ix_psychologists_name_id", "name", "id"),
    Index("ix_psychologists_specialties", "specialties", postgresql_using="gin").ddl_if(
        dialect="postgresql"
    ),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject", String(200), unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("phone", String(16)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("time_zone", String(64)),
    Index("uq_patients_email_lower", func.lower(text("email")), unique=True),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False),
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), nullable=False),
    Column("scheduled_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("appointment_type", String(32), nullable=False),
    Column("meeting_type", String(32), nullable=False),
    Column("meeting_url", String(2000)),
    Column("notes", Text),
    Column("consultation_fee", Numeric(10, 2), nullable=False),
    Column("is_paid", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(16), nullable=False),
    Column("rejection_reason", String(32)),
    Column("cancellation_reason", Text),
    Column("version", Integer, nullable=False),
    Column("request_id", String(64)),
    Column("idempotency_scope", String(200)),
    Column("idempotency_key", String(200)),
    Column("idempotency_fingerprint", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The session with the psychologist's buffers: what the exclusion constraint keeps apart.
    Column("blocked_from", UtcDateTime, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=False),
    Column("status_note", Text),
    Column("late_cancellation", Boolean, nullable=False, server_default=text("false")),
    Column("cancellation_fee", Numeric(10, 2)),
    # Set while a PENDING request holds its time for the psychologist's answer.
    Column("awaiting_confirmation_until", UtcDateTime),
    Column("reschedule_to", UtcDateTime),
    Column("series_id", Uuid, ForeignKey("appointment_series.id")),
    Column("series_index", Integer),
    Column("amount_paid", Numeric(10, 2), nullable=False, server_default=text("0")),
    CheckConstraint(_in("status", STATUSES), name="status"),
    CheckConstraint(
        "awaiting_confirmation_until IS NULL OR status = 'PENDING'", name="held_while_pending"
    ),
    CheckConstraint(
        "blocked_from <= scheduled_at AND blocked_until >= ends_at", name="blocked_holds_session"
    ),
    CheckConstraint("duration_minutes BETWEEN 15 AND 240", name="duration"),
    CheckConstraint("ends_at > scheduled_at", name="ends_after_start"),
    CheckConstraint("version >= 1", name="version"),
    UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_appointments_idempotency"),
    # Keyset pagination: every order (field, id) alone and under each equality filter.
    Index("ix_appointments_scheduled_at_id", "scheduled_at", "id"),
    Index("ix_appointments_created_at_id", "created_at", "id"),
    Index("ix_appointments_updated_at_id", "updated_at", "id"),
    Index("ix_appointments_status_id", "status", "id"),
    Index("ix_appointments_status_scheduled_at_id", "status", "scheduled_at", "id"),
    Index("ix_appointments_psychologist_scheduled_at_id", "psychologist_id", "scheduled_at", "id"),
    Index("ix_appointments_psychologist_created_at_id", "psychologist_id", "created_at", "id"),
    Index("ix_appointments_psychologist_updated_at_id", "psychologist_id", "updated_at", "id"),
    Index("ix_appointments_psychologist_status_id", "psychologist_id", "status", "id"),
    Index("ix_appointments_patient_scheduled_at_id", "patient_id", "scheduled_at", "id"),
    Index("ix_appointments_patient_created_at_id", "patient_id", "created_at", "id"),
    Index("ix_appointments_patient_updated_at_id", "patient_id", "updated_at", "id"),
    Index("ix_appointments_patient_status_id", "patient_id", "status", "id"),
    Index("ix_appointments_psychologist_blocked", "psychologist_id", "blocked_from"),
    Index("ix_appointments_is_paid_scheduled_at_id", "is_paid", "scheduled_at", "id"),
    Index("ix_appointments_series_id", "series_id", "series_index"),
)

appointment_events = Table(
    "appointment_events",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("appointment_id", Uuid, ForeignKey("appointments.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("previous_status", String(16)),
    Column("reason", Text),
    Column("request_id", String(64)),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False, server_default=text("'STATUS_CHANGED'")),
    Column("actor_role", String(16)),
    Column("actor_subject", String(200)),
    Column("note", Text),
    Column("previous_scheduled_at", UtcDateTime),
    Column("scheduled_at", UtcDateTime),
    UniqueConstraint("appointment_id", "version", name="uq_appointment_events_version"),
)

# Sessions requested together, every week or two; each is an appointment of its own.
appointment_series = Table(
    "appointment_series",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False),
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), nullable=False),
    Column("frequency", String(16), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("first_scheduled_at", UtcDateTime, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("appointment_type", String(32), nullable=False),
    Column("meeting_type", String(32), nullable=False),
    Column("request_id", String(64)),
    Column("idempotency_scope", String(200)),
    Column("idempotency_key", String(200)),
    Column("idempotency_fingerprint", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("occurrences BETWEEN 2 AND 26", name="occurrences"),
    UniqueConstraint(
        "idempotency_scope", "idempotency_key", name="uq_appointment_series_idempotency"
    ),
    Index("ix_appointment_series_patient_id", "patient_id"),
)

# Payments and refunds staff recorded; one reference per appointment and kind.
payments = Table(
    "payments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, ForeignKey("appointments.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("method", String(32), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_subject", String(200), nullable=False),
    Column("request_id", String(64)),
    Column("recorded_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="amount"),
    CheckConstraint(_in("kind", ("PAYMENT", "REFUND")), name="kind"),
    UniqueConstraint("appointment_id", "kind", "reference", name="uq_payments_reference"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("topic", String(100), nullable=False),
    Column("message_group", String(128), nullable=False),
    Column("payload", JsonDocument, nullable=False),
    Column("request_id", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("available_at", UtcDateTime),
    Column("last_error", Text),
    Index(
        "ix_outbox_undispatched",
        "id",
        postgresql_where=text("dispatched_at IS NULL"),
        sqlite_where=text("dispatched_at IS NULL"),
    ),
)

# Every letter the dead-letter queue gave up on, kept for operators (``dlq list``) until
# they send it back (``dlq redrive``). No foreign key: a letter may name an appointment
# that does not exist, and it must be kept all the same.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("message_id", String(128), nullable=False, unique=True),
    Column("message_group", String(128)),
    Column("body", Text, nullable=False),
    Column("attributes", JsonDocument, nullable=False),
    Column("request_id", Text),
    Column("receive_count", Integer, nullable=False),
    Column("appointment_id", Uuid),
    Column("reason", Text, nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("redriven_at", UtcDateTime),
    Index(
        "ix_dead_letters_not_redriven",
        "id",
        postgresql_where=text("redriven_at IS NULL"),
        sqlite_where=text("redriven_at IS NULL"),
    ),
)


# Weekly templates in force from a date on; the profile's working_hours apply before the first.
weekly_hours = Table(
    "weekly_hours",
    metadata,
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("hours", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

extra_hours = Table(
    "extra_hours",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("end_time > start_time", name="ends_after_start"),
    Index("ix_extra_hours_psychologist_day", "psychologist_id", "day"),
)

time_off = Table(
    "time_off",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("all_day", Boolean, nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    Index("ix_time_off_psychologist_ends_at", "psychologist_id", "ends_at"),
)

# Who changed a schedule or its settings, when, in which request: readable by staff.
schedule_changes = Table(
    "schedule_changes",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("psychologist_id", Uuid, ForeignKey("psychologists.id"), nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_subject", String(200), nullable=False),
    Column("request_id", String(64)),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("details", JsonDocument, nullable=False),
    Index("ix_schedule_changes_psychologist_id", "psychologist_id", "id"),
)
