"""The benchmark's data, generated inside PostgreSQL with INSERT ... SELECT generate_series.

Every id is ``md5(kind || '-' || n)::uuid``, so the data is the same on every
run and appointments can point at people without a join. Row ``i`` of the
appointments starts at slot ``i % slots`` (one slot an hour from START), and
belongs to psychologist ``(i / slots) % psychologists``: each psychologist has
each slot once, and only the rows past ``psychologists * slots`` repeat a
psychologist's slot. Those repeats are never CONFIRMED, so the exclusion
constraint (CONFIRMED sessions of one psychologist must not overlap) holds.
The status history (appointment_events) is not generated: no measured query
reads it.
"""

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench.errors import BenchError

START = datetime(2025, 1, 1, tzinfo=UTC)
DATABASE = "appointments_bench"

WORKING_HOURS = json.dumps(
    [
        {"weekday": day, "start": "09:00", "end": "17:00"}
        for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    ]
)

PSYCHOLOGISTS_SQL = """
INSERT INTO psychologists (id, subject, name, email, specialties, time_zone, working_hours,
    default_duration_minutes, consultation_fee, active, created_at, updated_at)
SELECT md5('psychologist-' || n)::uuid, 'psychologist-' || n, 'Psychologist ' || n,
    'psychologist-' || n || '@bench.example', '["anxiety", "depression"]'::jsonb,
    'America/Sao_Paulo', $2::jsonb, 50, 200.00, true, $3, $3
FROM generate_series(0, $1 - 1) AS n
"""

PATIENTS_SQL = """
INSERT INTO patients (id, subject, name, email, phone, created_at, updated_at)
SELECT md5('patient-' || n)::uuid, 'patient-' || n, 'Patient ' || n,
    'patient-' || n || '@bench.example', '+5511' || lpad(n::text, 9, '0'), $2, $2
FROM generate_series(0, $1 - 1) AS n
"""

# $1 rows, $2 slots, $3 psychologists, $4 patients, $5 start of the first slot.
# The patient multiplier is a prime, so with 100,000 patients each has the same count.
APPOINTMENTS_SQL = """
INSERT INTO appointments (id, patient_id, psychologist_id, scheduled_at, ends_at,
    duration_minutes, appointment_type, meeting_type, meeting_url, consultation_fee, is_paid,
    status, rejection_reason, cancellation_reason, version, created_at, updated_at,
    blocked_from, blocked_until)
SELECT md5('appointment-' || i)::uuid,
    md5('patient-' || (i * 7919) % $4)::uuid,
    md5('psychologist-' || (i / $2) % $3)::uuid,
    at, at + interval '50 minutes', 50,
    (ARRAY['CONSULTATION', 'THERAPY_SESSION', 'FOLLOW_UP', 'EMERGENCY'])[1 + h / 20 % 4],
    (ARRAY['VIDEO_CALL', 'IN_PERSON', 'PHONE_CALL'])[1 + h / 80 % 3],
    CASE WHEN h / 80 % 3 = 0 THEN 'https://meet.example/' || i END,
    200.00, status = 'COMPLETED', status,
    CASE WHEN status = 'REJECTED' THEN 'SLOT_TAKEN' END,
    CASE WHEN status = 'CANCELLED' THEN 'The patient asked to cancel.' END,
    CASE status WHEN 'PENDING' THEN 1 WHEN 'COMPLETED' THEN 3 WHEN 'NO_SHOW' THEN 3 ELSE 2 END,
    at - interval '14 days', at - interval '14 days',
    at, at + interval '50 minutes'
FROM (
    SELECT i, at, h,
        CASE
            WHEN h % 20 < 8 AND NOT repeat THEN 'CONFIRMED'
            WHEN h % 20 < 12 THEN 'PENDING'
            WHEN h % 20 < 17 THEN 'COMPLETED'
            WHEN h % 20 < 19 THEN 'CANCELLED'
            WHEN h % 40 = 19 THEN 'REJECTED'
            ELSE 'NO_SHOW'
        END AS status
    FROM (
        SELECT i, $5::timestamptz + (i % $2) * interval '1 hour' AS at,
            hashint8(i) & 2147483647 AS h, i / $2 >= $3 AS repeat
        FROM generate_series(0::bigint, $1 - 1) AS i
    ) AS numbered
) AS drawn
"""


@dataclass(frozen=True)
class Sizes:
    appointments: int
    patients: int = 100_000
    psychologists: int = 50
    slots: int = 17_520  # two years of hourly start times


def app_url(url: str) -> str:
    """The application's (SQLAlchemy's) spelling of a libpq URL."""
    return "postgresql+asyncpg://" + url.removeprefix("postgresql://")


async def recreate_database(admin_url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def migrate(url: str, env: dict[str, str]) -> None:
    """The application's own migrations, through its command line."""
    command = [str(Path(sys.executable).with_name("appointment-api")), "migrate"]
    completed = subprocess.run(
        command,
        env={**env, "DATABASE_URL": app_url(url)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"migrate failed:\n{completed.stdout}{completed.stderr}")


async def load(url: str, sizes: Sizes, log: Any, *, start: datetime = START) -> None:
    """Fill empty tables with ``sizes`` rows, the appointments' first slot at ``start``, then ANALYZE."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SET maintenance_work_mem = '256MB'")
        steps = (
            ("psychologists", PSYCHOLOGISTS_SQL, (sizes.psychologists, WORKING_HOURS, START)),
            ("patients", PATIENTS_SQL, (sizes.patients, START)),
            (
                "appointments",
                APPOINTMENTS_SQL,
                (sizes.appointments, sizes.slots, sizes.psychologists, sizes.patients, start),
            ),
        )
        for table, sql, args in steps:
            started = time.monotonic()
            await connection.execute(sql, *args)
            log(f"  {table}: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        await connection.execute("VACUUM (ANALYZE) psychologists, patients, appointments")
        log(f"  vacuum analyze: {time.monotonic() - started:.1f} s")
    finally:
        await connection.close()


def read_marker(path: Path) -> Sizes | None:
    try:
        return Sizes(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def write_marker(path: Path, sizes: Sizes) -> None:
    path.write_text(json.dumps(asdict(sizes)))
