"""The life of a session: the psychologist's answer (a held request), a new time, notes,
late cancellations, weekly series, payments, and who made each change.

Revision ID: 0005_lifecycle
Revises: 0004_practice
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_lifecycle"
down_revision: str | None = "0004_practice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIRMED_ONLY = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_confirmed_overlap "
    "EXCLUDE USING gist (psychologist_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&) "
    "WHERE (status = 'CONFIRMED')"
)
# A request held for the psychologist's answer keeps its time as a confirmed one does.
CONFIRMED_OR_HELD = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_confirmed_overlap "
    "EXCLUDE USING gist (psychologist_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&) "
    "WHERE (status = 'CONFIRMED' OR awaiting_confirmation_until IS NOT NULL)"
)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "psychologists",
        sa.Column(
            "requires_confirmation", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "psychologists",
        sa.Column(
            "confirmation_timeout_minutes",
            sa.Integer(),
            server_default=sa.text("1440"),
            nullable=False,
        ),
    )
    op.add_column(
        "psychologists",
        sa.Column(
            "cancellation_window_minutes", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
    )
    op.add_column(
        "psychologists", sa.Column("late_cancellation_fee", sa.Numeric(10, 2), nullable=True)
    )
    op.create_table(
        "appointment_series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_scheduled_at", TIME, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("appointment_type", sa.String(length=32), nullable=False),
        sa.Column("meeting_type", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("idempotency_scope", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint(
            "occurrences BETWEEN 2 AND 26", name=op.f("ck_appointment_series_occurrences")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointment_series_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_appointment_series_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_series")),
        sa.UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_appointment_series_idempotency"
        ),
    )
    op.create_index(
        "ix_appointment_series_patient_id", "appointment_series", ["patient_id"], unique=False
    )
    _appointment_columns()
    _event_columns()
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_subject", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount")),
        sa.CheckConstraint("kind IN ('PAYMENT', 'REFUND')", name=op.f("ck_payments_kind")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_payments_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("appointment_id", "kind", "reference", name="uq_payments_reference"),
    )


def _appointment_columns() -> None:
    op.add_column("appointments", sa.Column("status_note", sa.Text(), nullable=True))
    op.add_column(
        "appointments",
        sa.Column(
            "late_cancellation", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("appointments", sa.Column("cancellation_fee", sa.Numeric(10, 2), nullable=True))
    op.add_column("appointments", sa.Column("awaiting_confirmation_until", TIME, nullable=True))
    op.add_column("appointments", sa.Column("reschedule_to", TIME, nullable=True))
    op.add_column("appointments", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.add_column("appointments", sa.Column("series_index", sa.Integer(), nullable=True))
    op.add_column(
        "appointments",
        sa.Column("amount_paid", sa.Numeric(10, 2), server_default=sa.text("0"), nullable=False),
    )
    # What was paid so far is known only as paid or not: a paid session was paid in full.
    op.execute("UPDATE appointments SET amount_paid = consultation_fee WHERE is_paid")
    op.create_foreign_key(
        op.f("fk_appointments_series_id_appointment_series"),
        "appointments",
        "appointment_series",
        ["series_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_appointments_held_while_pending"),
        "appointments",
        "awaiting_confirmation_until IS NULL OR status = 'PENDING'",
    )
    op.create_index(
        "ix_appointments_is_paid_scheduled_at_id",
        "appointments",
        ["is_paid", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_series_id", "appointments", ["series_id", "series_index"], unique=False
    )
    op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_confirmed_overlap")
    op.execute(CONFIRMED_OR_HELD)


def _event_columns() -> None:
    op.add_column(
        "appointment_events",
        sa.Column(
            "kind", sa.String(length=32), server_default=sa.text("'STATUS_CHANGED'"), nullable=False
        ),
    )
    op.add_column(
        "appointment_events", sa.Column("actor_role", sa.String(length=16), nullable=True)
    )
    op.add_column(
        "appointment_events", sa.Column("actor_subject", sa.String(length=200), nullable=True)
    )
    op.add_column("appointment_events", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("appointment_events", sa.Column("previous_scheduled_at", TIME, nullable=True))
    op.add_column("appointment_events", sa.Column("scheduled_at", TIME, nullable=True))


def downgrade() -> None:
    op.drop_table("payments")
    for column in (
        "scheduled_at",
        "previous_scheduled_at",
        "note",
        "actor_subject",
        "actor_role",
        "kind",
    ):
        op.drop_column("appointment_events", column)
    op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_confirmed_overlap")
    op.execute(CONFIRMED_ONLY)
    op.drop_index("ix_appointments_series_id", table_name="appointments")
    op.drop_index("ix_appointments_is_paid_scheduled_at_id", table_name="appointments")
    op.drop_constraint(op.f("ck_appointments_held_while_pending"), "appointments", type_="check")
    op.drop_constraint(
        op.f("fk_appointments_series_id_appointment_series"), "appointments", type_="foreignkey"
    )
    for column in (
        "amount_paid",
        "series_index",
        "series_id",
        "reschedule_to",
        "awaiting_confirmation_until",
        "cancellation_fee",
        "late_cancellation",
        "status_note",
    ):
        op.drop_column("appointments", column)
    op.drop_index("ix_appointment_series_patient_id", table_name="appointment_series")
    op.drop_table("appointment_series")
    for column in (
        "late_cancellation_fee",
        "cancellation_window_minutes",
        "confirmation_timeout_minutes",
        "requires_confirmation",
    ):
        op.drop_column("psychologists", column)
