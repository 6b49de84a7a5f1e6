"""Running a practice: profiles, weekly hours from a date, extra hours, time off, booking
settings, the audit of schedule changes, patients' time zones, and the exclusion
constraint over each session with its buffers.

Revision ID: 0004_practice
Revises: 0002
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_practice"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_EXCLUSION = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_confirmed_overlap "
    "EXCLUDE USING gist (psychologist_id WITH =, tstzrange(scheduled_at, ends_at) WITH &&) "
    "WHERE (status = 'CONFIRMED')"
)
# Two CONFIRMED sessions of one psychologist may touch but never overlap, each counted
# with the buffers the psychologist keeps around it.
NEW_EXCLUSION = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_confirmed_overlap "
    "EXCLUDE USING gist (psychologist_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&) "
    "WHERE (status = 'CONFIRMED')"
)


def upgrade() -> None:
    _psychologist_columns()
    op.add_column("patients", sa.Column("time_zone", sa.String(length=64), nullable=True))
    _blocked_range()
    op.create_table(
        "weekly_hours",
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("hours", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_weekly_hours_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("psychologist_id", "effective_from", name=op.f("pk_weekly_hours")),
    )
    op.create_table(
        "extra_hours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_extra_hours_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_extra_hours_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extra_hours")),
    )
    op.create_index(
        "ix_extra_hours_psychologist_day", "extra_hours", ["psychologist_id", "day"], unique=False
    )
    op.create_table(
        "time_off",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_time_off_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_time_off_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index(
        "ix_time_off_psychologist_ends_at", "time_off", ["psychologist_id", "ends_at"], unique=False
    )
    op.create_table(
        "schedule_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_subject", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologists.id"],
            name=op.f("fk_schedule_changes_psychologist_id_psychologists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_changes")),
    )
    op.create_index(
        "ix_schedule_changes_psychologist_id",
        "schedule_changes",
        ["psychologist_id", "id"],
        unique=False,
    )


def _psychologist_columns() -> None:
    empty_list = sa.text("'[]'")
    op.add_column("psychologists", sa.Column("bio", sa.Text(), nullable=True))
    op.add_column(
        "psychologists",
        sa.Column("languages", postgresql.JSONB(), server_default=empty_list, nullable=False),
    )
    op.add_column("psychologists", sa.Column("min_notice_minutes", sa.Integer(), nullable=True))
    op.add_column("psychologists", sa.Column("max_advance_days", sa.Integer(), nullable=True))
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        op.add_column(
            "psychologists",
            sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    for name in ("session_durations", "offerings"):
        op.add_column(
            "psychologists",
            sa.Column(name, postgresql.JSONB(), server_default=empty_list, nullable=False),
        )
    op.add_column("psychologists", sa.Column("max_sessions_per_day", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_psychologists_buffer_before"),
        "psychologists",
        "buffer_before_minutes BETWEEN 0 AND 240",
    )
    op.create_check_constraint(
        op.f("ck_psychologists_buffer_after"),
        "psychologists",
        "buffer_after_minutes BETWEEN 0 AND 240",
    )
    op.create_check_constraint(
        op.f("ck_psychologists_max_sessions_per_day"), "psychologists", "max_sessions_per_day >= 1"
    )


def _blocked_range() -> None:
    for name in ("blocked_from", "blocked_until"):
        op.add_column("appointments", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    # Every session so far was booked without buffers.
    op.execute("UPDATE appointments SET blocked_from = scheduled_at, blocked_until = ends_at")
    for name in ("blocked_from", "blocked_until"):
        op.alter_column("appointments", name, nullable=False)
    op.create_check_constraint(
        op.f("ck_appointments_blocked_holds_session"),
        "appointments",
        "blocked_from <= scheduled_at AND blocked_until >= ends_at",
    )
    op.create_index(
        "ix_appointments_psychologist_blocked",
        "appointments",
        ["psychologist_id", "blocked_from"],
        unique=False,
    )
    op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_confirmed_overlap")
    op.execute(NEW_EXCLUSION)


def downgrade() -> None:
    op.drop_index("ix_schedule_changes_psychologist_id", table_name="schedule_changes")
    op.drop_table("schedule_changes")
    op.drop_index("ix_time_off_psychologist_ends_at", table_name="time_off")
    op.drop_table("time_off")
    op.drop_index("ix_extra_hours_psychologist_day", table_name="extra_hours")
    op.drop_table("extra_hours")
    op.drop_table("weekly_hours")
    op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_confirmed_overlap")
    op.execute(OLD_EXCLUSION)
    op.drop_index("ix_appointments_psychologist_blocked", table_name="appointments")
    op.drop_constraint(op.f("ck_appointments_blocked_holds_session"), "appointments", type_="check")
    op.drop_column("appointments", "blocked_until")
    op.drop_column("appointments", "blocked_from")
    op.drop_column("patients", "time_zone")
    for name in ("buffer_before", "buffer_after", "max_sessions_per_day"):
        op.drop_constraint(op.f(f"ck_psychologists_{name}"), "psychologists", type_="check")
    for column in (
        "max_sessions_per_day",
        "offerings",
        "session_durations",
        "buffer_after_minutes",
        "buffer_before_minutes",
        "max_advance_days",
        "min_notice_minutes",
        "languages",
        "bio",
    ):
        op.drop_column("psychologists", column)
