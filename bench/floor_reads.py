"""The floor of the frontends' other common reads: one route each, the same JSON as the API.

Each route answers one benchmark operation's POST body (its variables) from bare asyncpg
and orjson: one SQL statement per connection level, the rows shaped straight into the
API's JSON (global ids, 'Z' instants, the API's cursors). Free slots come from the
domain's own ``available_slots`` on the calendars and busy times read here, so the
floor computes exactly what the API computes, without its layers. No GraphQL is
parsed and no token is checked; the viewer's subject is read from the token's claims.
"""

import base64
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from application.free_slots import AROUND
from domain.availability import available_slots
from domain.bookings import Booked
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.policy import BookingPolicy
from domain.schedule import Interval
from infra.db.rows import (
    psychologist_from_row,
    session_policy_from_row,
    settings_from_row,
    working_hours_from_json,
)

PAGE_SIZE = 20
APPOINTMENTS_ORDERING = "appointments:SCHEDULED_AT:ASC"
PSYCHOLOGISTS_ORDERING = "psychologists:NAME:ASC"
# The API's defaults (MIN_NOTICE_HOURS 24, MAX_ADVANCE_DAYS 180).
POLICY = BookingPolicy()
SLOT_STEP_MINUTES = 15

APPOINTMENT_SQL = """
SELECT a.id, a.scheduled_at, a.status, a.appointment_type,
    p.name AS patient_name, p.email AS patient_email, s.name AS psychologist_name
FROM appointments a
JOIN patients p ON p.id = a.patient_id
JOIN psychologists s ON s.id = a.psychologist_id
WHERE a.id = $1
"""

# The page of psychologists with their calendars: weekly templates, and the extra hours
# and time off that meet the window ($1, $2), aggregated per row.
DIRECTORY_SQL = f"""
SELECT s.*,
    (SELECT coalesce(json_agg(json_build_object('from', w.effective_from, 'hours', w.hours)
        ORDER BY w.effective_from), '[]') FROM weekly_hours w
        WHERE w.psychologist_id = s.id) AS weekly,
    (SELECT coalesce(json_agg(json_build_object('id', e.id, 'day', e.day,
        'start', e.start_time, 'end', e.end_time) ORDER BY e.day), '[]') FROM extra_hours e
        WHERE e.psychologist_id = s.id AND e.day >= ($1::timestamptz - interval '1 day')::date
        AND e.day <= ($2::timestamptz + interval '1 day')::date) AS extra,
    (SELECT coalesce(json_agg(json_build_object('id', o.id, 'starts_at', o.starts_at,
        'ends_at', o.ends_at, 'reason', o.reason, 'all_day', o.all_day)
        ORDER BY o.starts_at), '[]') FROM time_off o
        WHERE o.psychologist_id = s.id AND o.starts_at < $2 AND o.ends_at > $1) AS off
FROM psychologists s
WHERE s.active AND EXISTS (
    SELECT 1 FROM jsonb_array_elements_text(s.specialties::jsonb) AS t(value)
    WHERE lower(t.value) = lower($3))
ORDER BY s.name, s.id
LIMIT {PAGE_SIZE + 1}
"""

BUSY_SQL = """
SELECT psychologist_id, scheduled_at, blocked_from, blocked_until
FROM appointments
WHERE psychologist_id = ANY($1::uuid[]) AND status IN ('PENDING', 'CONFIRMED')
    AND blocked_from < $3 AND blocked_until > $2
"""

# A psychologist and the first page of their sessions from an instant: one statement,
# the page joined LATERAL to its owner.
AGENDA_SQL = f"""
SELECT s.id AS psychologist_id, s.name AS psychologist_name,
    a.id, a.scheduled_at, a.status, a.appointment_type, p.name AS patient_name
FROM psychologists s
LEFT JOIN LATERAL (
    SELECT * FROM appointments x
    WHERE x.psychologist_id = s.id AND x.scheduled_at >= $2
    ORDER BY x.scheduled_at, x.id LIMIT {PAGE_SIZE + 1}
) a ON true
LEFT JOIN patients p ON p.id = a.patient_id
WHERE s.id = $1
ORDER BY a.scheduled_at, a.id
"""

# The patient behind a subject and their next PENDING or CONFIRMED sessions.
VIEWER_SQL = f"""
SELECT p.name AS patient_name, a.id, a.scheduled_at, a.status, s.name AS psychologist_name
FROM patients p
LEFT JOIN LATERAL (
    SELECT * FROM appointments x
    WHERE x.patient_id = p.id AND x.scheduled_at >= $2 AND x.status IN ('PENDING', 'CONFIRMED')
    ORDER BY x.scheduled_at, x.id LIMIT {PAGE_SIZE + 1}
) a ON true
LEFT JOIN psychologists s ON s.id = a.psychologist_id
WHERE p.subject = $1
ORDER BY a.scheduled_at, a.id
"""


def unpadded_b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def padded_b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def global_id(type_name: str, value: UUID) -> str:
    return unpadded_b64(f"{type_name}:{value}".encode())


def from_global_id(text: str) -> tuple[str, UUID]:
    type_name, _, value = padded_b64decode(text).decode().partition(":")
    return type_name, UUID(value)


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cursor(ordering: str, value: datetime | str, row_id: UUID) -> str:
    plain = value.isoformat() if isinstance(value, datetime) else value
    return unpadded_b64(orjson.dumps([ordering, plain, str(row_id)]))


def page_info(rows: Sequence[Any], key: Any) -> dict[str, Any]:
    page = rows[:PAGE_SIZE]
    return {
        "endCursor": key(page[-1]) if page else None,
        "hasNextPage": len(rows) > PAGE_SIZE,
    }


def appointment_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": global_id("Appointment", row["id"]),
        "scheduledAt": instant(row["scheduled_at"]),
        "status": row["status"],
        "appointmentType": row["appointment_type"],
        "patient": {"name": row["patient_name"], "email": row["patient_email"]},
        "psychologist": {"name": row["psychologist_name"]},
    }


def appointment_cursor(row: asyncpg.Record) -> str:
    return cursor(APPOINTMENTS_ORDERING, row["scheduled_at"], row["id"])


def calendar_of(row: asyncpg.Record) -> Calendar:
    """The domain's calendar from a row of DIRECTORY_SQL, as the API's repository builds it."""
    return Calendar(
        psychologist=psychologist_from_row(row),
        changes=tuple(
            WeeklyHours(date.fromisoformat(w["from"]), working_hours_from_json(w["hours"]))
            for w in row["weekly"]
        ),
        extra_hours=tuple(
            ExtraHours(
                UUID(e["id"]),
                date.fromisoformat(e["day"]),
                time.fromisoformat(e["start"]),
                time.fromisoformat(e["end"]),
            )
            for e in row["extra"]
        ),
        time_off=tuple(
            TimeOff(
                UUID(o["id"]),
                Interval(parse_instant(o["starts_at"]), parse_instant(o["ends_at"])),
                o["reason"],
                o["all_day"],
            )
            for o in row["off"]
        ),
        settings=settings_from_row(row),
        session_policy=session_policy_from_row(row),
    )


def answer(data: dict[str, Any]) -> Response:
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def variables_of(request: Request) -> dict[str, Any]:
    variables: dict[str, Any] = orjson.loads(await request.body()).get("variables") or {}
    return variables


def read_routes(pool_of: Any) -> list[Route]:
    """The routes, each reading through ``pool_of()`` (the app's pool, made at startup)."""

    async def appointment(request: Request) -> Response:
        _, row_id = from_global_id((await variables_of(request))["id"])
        row = await pool_of().fetchrow(APPOINTMENT_SQL, row_id)
        return answer({"appointment": None if row is None else appointment_json(row)})

    async def node(request: Request) -> Response:
        type_name, row_id = from_global_id((await variables_of(request))["id"])
        row = None
        if type_name == "Appointment":
            row = await pool_of().fetchrow(APPOINTMENT_SQL, row_id)
        if row is None:
            return answer({"node": None})
        shaped = appointment_json(row)
        return answer({"node": {"__typename": "Appointment", **shaped}})

    async def psychologists(request: Request) -> Response:
        variables = await variables_of(request)
        window = Interval(parse_instant(variables["from"]), parse_instant(variables["to"]))
        around = Interval(window.start - AROUND, window.end + AROUND)
        pool = pool_of()
        rows = await pool.fetch(DIRECTORY_SQL, around.start, around.end, variables["specialty"])
        page = rows[:PAGE_SIZE]
        busy: dict[UUID, list[Booked]] = {row["id"]: [] for row in page}
        for b in await pool.fetch(BUSY_SQL, list(busy), around.start, around.end):
            busy[b["psychologist_id"]].append(
                Booked(b["scheduled_at"], Interval(b["blocked_from"], b["blocked_until"]))
            )
        now = datetime.now(UTC)
        edges = []
        for row in page:
            calendar = calendar_of(row)
            slots = available_slots(
                calendar=calendar,
                window=window,
                duration_minutes=calendar.psychologist.default_duration_minutes,
                busy=busy[row["id"]],
                now=now,
                policy=POLICY,
                step_minutes=SLOT_STEP_MINUTES,
            )
            edges.append(
                {
                    "node": {
                        "id": global_id("Psychologist", row["id"]),
                        "name": row["name"],
                        "specialties": list(row["specialties"]),
                        "timeZone": row["time_zone"],
                        "availableSlots": [
                            {"startsAt": instant(s.start), "endsAt": instant(s.end)} for s in slots
                        ],
                    }
                }
            )
        info = page_info(rows, lambda r: cursor(PSYCHOLOGISTS_ORDERING, r["name"], r["id"]))
        return answer({"psychologists": {"edges": edges, "pageInfo": info}})

    async def psychologist(request: Request) -> Response:
        variables = await variables_of(request)
        _, row_id = from_global_id(variables["id"])
        rows = await pool_of().fetch(AGENDA_SQL, row_id, parse_instant(variables["from"]))
        if not rows:
            return answer({"psychologist": None})
        found = [row for row in rows if row["id"] is not None]
        edges = [
            {
                "node": {
                    "id": global_id("Appointment", row["id"]),
                    "scheduledAt": instant(row["scheduled_at"]),
                    "status": row["status"],
                    "appointmentType": row["appointment_type"],
                    "patient": {"name": row["patient_name"]},
                }
            }
            for row in found[:PAGE_SIZE]
        ]
        first = rows[0]
        return answer(
            {
                "psychologist": {
                    "id": global_id("Psychologist", first["psychologist_id"]),
                    "name": first["psychologist_name"],
                    "appointments": {
                        "edges": edges,
                        "pageInfo": page_info(found, appointment_cursor),
                    },
                }
            }
        )

    async def viewer(request: Request) -> Response:
        variables = await variables_of(request)
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims = orjson.loads(padded_b64decode(token.split(".")[1]))
        rows = await pool_of().fetch(VIEWER_SQL, claims["sub"], parse_instant(variables["from"]))
        patient = None
        if rows:
            found = [row for row in rows if row["id"] is not None]
            edges = [
                {
                    "node": {
                        "id": global_id("Appointment", row["id"]),
                        "scheduledAt": instant(row["scheduled_at"]),
                        "status": row["status"],
                        "psychologist": {"name": row["psychologist_name"]},
                    }
                }
                for row in found[:PAGE_SIZE]
            ]
            patient = {
                "name": rows[0]["patient_name"],
                "appointments": {"edges": edges, "pageInfo": page_info(found, appointment_cursor)},
            }
        role = str(claims.get("role", "")).upper()
        return answer({"viewer": {"subject": claims["sub"], "role": role, "patient": patient}})

    return [
        Route("/graphql/appointment", appointment, methods=["POST"]),
        Route("/graphql/node", node, methods=["POST"]),
        Route("/graphql/psychologists", psychologists, methods=["POST"]),
        Route("/graphql/psychologist", psychologist, methods=["POST"]),
        Route("/graphql/viewer", viewer, methods=["POST"]),
    ]


async def init_connection(connection: asyncpg.Connection) -> None:
    """JSON columns as Python values, as the API's driver gives them."""
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )
