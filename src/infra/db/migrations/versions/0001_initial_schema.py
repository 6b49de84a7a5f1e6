"""Initial schema: people, appointments with their history, the outbox.

PostgreSQL only; the embedded SQLite mode builds its schema from the metadata.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:31:46.599137
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("message_group", sa.String(length=128), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_undispatched",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("subject", name=op.f("uq_patients_subject")),
    )
    op.create_index(
        "uq_patients_email_lower", "patients", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "psychologists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("specialties", postgresql.JSONB(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("working_hours", postgresql.JSONB(), nullable=False),
        sa.Column("default_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("consultation_fee", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "default_duration_minutes BETWEEN 15 AND 240", name=op.f("ck_psychologists_duration")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psychologists")),
        sa.UniqueConstraint("email", name=op.f("uq_psychologists_email")),
        sa.UniqueConstraint("subject", name=op.f("uq_psychologists_subject")),
    )
    op.create_index("ix_psychologists_name_id", "psychologists", ["name", "id"], unique=False)
    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("appointment_type", sa.String(length=32), nullable=False),
        sa.Column("meeting_type", sa.String(length=32), nullable=False),
        sa.Column("meeting_url", sa.String(length=2000), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("consultation_fee", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("is_paid", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rejection_reason", sa.String(length=32), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("idempotency_scope", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')",
            name=op.f("ck_appointments_status"),
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 15 AND 240", name=op.f("ck_appointments_duration")
        ),
        sa.CheckConstraint("ends_at > scheduled_at", name=op.f("ck_appointments_ends_after_start")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_appointments_version")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_appointments_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_appointments_idempotency"
        ),
    )
    op.create_index(
        "ix_appointments_created_at_id", "appointments", ["created_at", "id"], unique=False
    )
    op.create_index(
        "ix_appointments_patient_created_at_id",
        "appointments",
        ["patient_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_patient_scheduled_at_id",
        "appointments",
        ["patient_id", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_patient_status_id",
        "appointments",
        ["patient_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_patient_updated_at_id",
        "appointments",
        ["patient_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_psychologist_created_at_id",
        "appointments",
        ["psychologist_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_psychologist_scheduled_at_id",
        "appointments",
        ["psychologist_id", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_psychologist_status_id",
        "appointments",
        ["psychologist_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_psychologist_updated_at_id",
        "appointments",
        ["psychologist_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_scheduled_at_id", "appointments", ["scheduled_at", "id"], unique=False
    )
    op.create_index("ix_appointments_status_id", "appointments", ["status", "id"], unique=False)
    op.create_index(
        "ix_appointments_status_scheduled_at_id",
        "appointments",
        ["status", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_updated_at_id", "appointments", ["updated_at", "id"], unique=False
    )
    # The last line of defence against double booking, whatever the code does:
    # two CONFIRMED sessions of one psychologist may touch but never overlap.
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_confirmed_overlap "
        "EXCLUDE USING gist (psychologist_id WITH =, tstzrange(scheduled_at, ends_at) WITH &&) "
        "WHERE (status = 'CONFIRMED')"
    )
    op.create_index(
        "ix_psychologists_specialties", "psychologists", ["specialties"], postgresql_using="gin"
    )
    op.create_table(
        "appointment_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_events_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
        sa.UniqueConstraint("appointment_id", "version", name="uq_appointment_events_version"),
    )


def downgrade() -> None:
    op.drop_index("ix_psychologists_specialties", table_name="psychologists")
    op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_confirmed_overlap")
    op.drop_table("appointment_events")
    op.drop_index("ix_appointments_updated_at_id", table_name="appointments")
    op.drop_index("ix_appointments_status_scheduled_at_id", table_name="appointments")
    op.drop_index("ix_appointments_status_id", table_name="appointments")
    op.drop_index("ix_appointments_scheduled_at_id", table_name="appointments")
    op.drop_index("ix_appointments_psychologist_updated_at_id", table_name="appointments")
    op.drop_index("ix_appointments_psychologist_status_id", table_name="appointments")
    op.drop_index("ix_appointments_psychologist_scheduled_at_id", table_name="appointments")
    op.drop_index("ix_appointments_psychologist_created_at_id", table_name="appointments")
    op.drop_index("ix_appointments_patient_updated_at_id", table_name="appointments")
    op.drop_index("ix_appointments_patient_status_id", table_name="appointments")
    op.drop_index("ix_appointments_patient_scheduled_at_id", table_name="appointments")
    op.drop_index("ix_appointments_patient_created_at_id", table_name="appointments")
    op.drop_index("ix_appointments_created_at_id", table_name="appointments")
    op.drop_table("appointments")
    op.drop_index("ix_psychologists_name_id", table_name="psychologists")
    op.drop_table("psychologists")
    op.drop_index("uq_patients_email_lower", table_name="patients")
    op.drop_table("patients")
    op.drop_index(
        "ix_outbox_undispatched",
        table_name="outbox",
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.drop_table("outbox")
