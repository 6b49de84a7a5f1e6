"""The write floor: requestAppointment and requestAppointments from bare Starlette + asyncpg.

For the write benchmark's POST bodies it does what the API's use case does, in one
transaction on one connection: the idempotency keys looked up, the psychologists'
calendars read, every item checked by the domain's rules (the same functions the API
calls), the CONFIRMED sessions that rule a slot out read, the patients found or added,
their PENDING requests counted under a key-share lock, then the appointments, their first
status events (under the event-order lock), and two outbox rows per appointment (the
decision wanted, the notice of the change, with the relays' NOTIFY in the same statement)
inserted, one multi-row statement per table; and it answers with the API's JSON. Ids are
UUIDv7, as the API makes them. The rows and payloads are built by the same pure functions
the API uses, so the floor writes exactly what the API writes.

It parses no GraphQL (it reads `variables.input`), has no ORM, no middleware, no rate
limit: it shows what the transaction costs without the layers. The token is checked (its
subject scopes the idempotency keys), with the same HS256 secret.
"""

import base64
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import jwt
import orjson
from starlette.requests import Request
from starlette.responses import Response
from uuid6 import uuid7

from application.changes import StatusChange
from application.notice_messages import notice
from application.queue_messages import decision_wanted
from application.request_items import USER_ERROR_FOR_RULE, fingerprint
from application.unit_of_work import OutboxMessage
from domain.appointments import (
    Actor,
    ActorRole,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MeetingType,
)
from domain.bookings import Booked, Bookings
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.policy import BookingPolicy
from domain.requests import AppointmentRequest, PatientProfile, check_free_text, normal_email
from domain.rules import RuleCode, check_conflicts, check_request
from domain.schedule import Interval
from infra.db.event_order import EVENT_ORDER_LOCK
from infra.db.outbox_notices import CHANNEL
from infra.db.rows import (
    appointment_to_row,
    event_to_row,
    psychologist_from_row,
    session_policy_from_row,
    settings_from_row,
    working_hours_from_json,
)

# The API's window around a request: every session its buffers or its local date may meet.
AROUND = timedelta(days=2)
JSON_COLUMNS = ("specialties", "working_hours", "languages", "session_durations", "offerings")

KEYED_SQL = """
SELECT a.id, a.status, a.idempotency_scope, a.idempotency_key, a.idempotency_fingerprint,
    a.created_at
FROM appointments a
JOIN unnest($1::text[], $2::text[]) AS k(scope, key)
    ON a.idempotency_scope = k.scope AND a.idempotency_key = k.key
"""
PSYCHOLOGISTS_SQL = "SELECT * FROM psychologists WHERE id = ANY($1::uuid[])"
WEEKLY_SQL = (
    "SELECT psychologist_id, effective_from, hours FROM weekly_hours"
    " WHERE psychologist_id = ANY($1::uuid[]) ORDER BY effective_from"
)
EXTRA_SQL = (
    "SELECT id, psychologist_id, day, start_time, end_time FROM extra_hours"
    " WHERE psychologist_id = ANY($1::uuid[]) AND day >= $2 AND day <= $3 ORDER BY day"
)
TIME_OFF_SQL = (
    "SELECT id, psychologist_id, starts_at, ends_at, reason, all_day FROM time_off"
    " WHERE psychologist_id = ANY($1::uuid[]) AND starts_at < $3 AND ends_at > $2"
    " ORDER BY starts_at"
)
HELD_SQL = """
SELECT a.psychologist_id, a.scheduled_at, a.blocked_from, a.blocked_until
FROM appointments a
JOIN unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS w(psychologist_id, s, e)
    ON a.psychologist_id = w.psychologist_id AND a.blocked_from < w.e AND a.blocked_until > w.s
WHERE a.status = 'CONFIRMED' OR a.awaiting_confirmation_until IS NOT NULL
"""
PATIENTS_BY_EMAIL_SQL = (
    "SELECT id, lower(email) AS email FROM patients WHERE lower(email) = ANY($1::text[])"
)
ADD_PATIENTS_SQL = """
INSERT INTO patients (id, subject, name, email, phone, created_at, updated_at)
SELECT id, NULL, name, email, phone, $5, $5
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS p(id, name, email, phone)
ON CONFLICT DO NOTHING
"""
LOCK_PATIENTS_SQL = "SELECT id FROM patients WHERE id = ANY($1::uuid[]) ORDER BY id FOR KEY SHARE"
PENDING_SQL = (
    "SELECT patient_id, count(*) FROM appointments"
    " WHERE patient_id = ANY($1::uuid[]) AND status = 'PENDING' GROUP BY patient_id"
)
LOCK_EVENT_ORDER_SQL = "SELECT pg_advisory_xact_lock($1)"
# The outbox rows and the relays' wake-up (NOTIFY, delivered at commit) in one statement,
# as the API writes them.
NOTIFYING_OUTBOX_SQL = f"""
WITH written AS (
    INSERT INTO outbox (topic, message_group, payload, request_id, created_at, available_at)
    SELECT topic, message_group, payload::jsonb, request_id, created_at, available_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
        $6::timestamptz[]) AS r(topic, message_group, payload, request_id, created_at,
        available_at)
) SELECT pg_notify('{CHANNEL}', '')
"""


@dataclass(frozen=True)
class WriteFloor:
    secret: str
    policy: BookingPolicy

    @classmethod
    def from_environment(cls) -> "WriteFloor":
        """The API's own settings, from the same variables."""
        return cls(
            secret=os.environ["JWT_SECRET"],
            policy=BookingPolicy(
                max_pending_per_patient=int(os.environ.get("MAX_PENDING_PER_PATIENT", "100")),
                idempotency_ttl=timedelta(hours=int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))),
            ),
        )


@dataclass
class Item:
    index: int
    request: AppointmentRequest | None
    errors: list[dict[str, Any]]
    appointment: Appointment | None = None
    key: tuple[str, str, str] | None = None


def global_id(type_name: str, value: UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode().rstrip("=")


def _uuid_of(global_id_text: str) -> UUID:
    raw = base64.urlsafe_b64decode(global_id_text + "=" * (-len(global_id_text) % 4)).decode()
    type_name, _, value = raw.partition(":")
    if type_name != "Psychologist":
        raise ValueError(global_id_text)
    return UUID(value)


def _error(code: str, field: Sequence[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": list(field), "message": message}


def parse_item(index: int, raw: dict[str, Any], path: tuple[str, ...]) -> Item:
    try:
        profile = raw.get("patient")
        request = AppointmentRequest(
            psychologist_id=_uuid_of(raw["psychologistId"]),
            scheduled_at=datetime.fromisoformat(raw["scheduledAt"]),
            appointment_type=AppointmentType(raw["appointmentType"]),
            meeting_type=MeetingType(raw["meetingType"]),
            duration_minutes=raw.get("durationMinutes"),
            notes=raw.get("notes"),
            patient=None
            if profile is None
            else PatientProfile(profile["name"], profile["email"], profile.get("phone")),
            idempotency_key=raw.get("idempotencyKey"),
        )
    except (KeyError, ValueError) as error:
        return Item(index, None, [_error("INVALID_INPUT", path, f"unreadable: {error}")])
    errors = [
        _error("INVALID_INPUT", (*path, *p.path), p.message) for p in check_free_text(request)
    ]
    if request.patient is None:
        errors.append(_error("INVALID_INPUT", (*path, "patient"), "Staff must name the patient."))
    return Item(index, request, errors)


def _json_row(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record)
    for name in JSON_COLUMNS:
        if isinstance(row.get(name), str):
            row[name] = orjson.loads(row[name])
    return row


async def calendars(
    connection: asyncpg.Connection, ids: list[UUID], around: Interval
) -> dict[UUID, Calendar]:
    rows = [_json_row(r) for r in await connection.fetch(PSYCHOLOGISTS_SQL, ids)]
    if not rows:
        return {}
    found = [row["id"] for row in rows]
    weekly: dict[UUID, list[WeeklyHours]] = {}
    for r in await connection.fetch(WEEKLY_SQL, found):
        hours = orjson.loads(r["hours"]) if isinstance(r["hours"], str) else r["hours"]
        weekly.setdefault(r["psychologist_id"], []).append(
            WeeklyHours(r["effective_from"], working_hours_from_json(hours))
        )
    first, last = (around.start - timedelta(days=1)).date(), (around.end + timedelta(days=1)).date()
    extra: dict[UUID, list[ExtraHours]] = {}
    for r in await connection.fetch(EXTRA_SQL, found, first, last):
        extra.setdefault(r["psychologist_id"], []).append(
            ExtraHours(r["id"], r["day"], r["start_time"], r["end_time"])
        )
    off: dict[UUID, list[TimeOff]] = {}
    for r in await connection.fetch(TIME_OFF_SQL, found, around.start, around.end):
        off.setdefault(r["psychologist_id"], []).append(
            TimeOff(r["id"], Interval(r["starts_at"], r["ends_at"]), r["reason"], r["all_day"])
        )
    return {
        row["id"]: Calendar(
            psychologist=psychologist_from_row(row),
            changes=tuple(weekly.get(row["id"], ())),
            extra_hours=tuple(extra.get(row["id"], ())),
            time_off=tuple(off.get(row["id"], ())),
            settings=settings_from_row(row),
            session_policy=session_policy_from_row(row),
        )
        for row in rows
    }


def _insert_sql(table: str, columns: Sequence[str], rows: int, suffix: str = "") -> str:
    width = len(columns)
    values = ", ".join(
        "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{suffix}"


def _outbox_values(message: OutboxMessage, at: datetime) -> list[Any]:
    return [
        message.topic,
        message.group,
        orjson.dumps(dict(message.payload)).decode(),
        message.request_id,
        at,
        message.available_at,
    ]


class Requests:
    """The floor's handler of both mutations."""

    def __init__(self, floor: WriteFloor, pool: asyncpg.Pool) -> None:
        self.floor = floor
        self.pool = pool

    async def __call__(self, request: Request) -> Response:
        claims = jwt.decode(
            request.headers["authorization"].removeprefix("Bearer "),
            self.floor.secret,
            algorithms=["HS256"],
        )
        subject, role = claims["sub"], str(claims["role"]).upper()
        body = orjson.loads(await request.body())
        given = (body.get("variables") or {})["input"]
        batch = "appointments" in given
        raw_items = given["appointments"] if batch else [given]
        prefix: tuple[str, ...] = ("input", "appointments") if batch else ("input",)
        items = [
            parse_item(i, raw, (*prefix, str(i)) if batch else prefix)
            for i, raw in enumerate(raw_items)
        ]
        request_id = str(uuid.uuid4())
        actor = Actor(ActorRole(role), subject)
        async with self.pool.acquire() as connection, connection.transaction():
            await self._request(connection, items, subject, actor, request_id)
        return Response(_answer(items, batch, request_id), media_type="application/json")

    async def _request(
        self,
        connection: asyncpg.Connection,
        items: list[Item],
        subject: str,
        actor: Actor,
        request_id: str,
    ) -> None:
        now = datetime.now(UTC)
        policy = self.floor.policy
        asked = [i for i in items if i.request is not None]
        if not asked:
            return
        around = Interval(
            min(i.request.scheduled_at for i in asked if i.request) - AROUND,
            max(i.request.scheduled_at for i in asked if i.request) + AROUND,
        )
        found = await calendars(
            connection, list({i.request.psychologist_id for i in asked if i.request}), around
        )
        # Keys first: a key used before answers as it did then.
        for item in asked:
            assert item.request is not None
            calendar = found.get(item.request.psychologist_id)
            if item.request.idempotency_key and calendar and not item.errors:
                duration = item.request.duration_minutes or (
                    calendar.psychologist.default_duration_minutes
                )
                item.key = (
                    subject,
                    item.request.idempotency_key,
                    fingerprint(item.request, duration),
                )
        keyed = [i for i in asked if i.key]
        if keyed:
            earlier = {
                (r["idempotency_scope"], r["idempotency_key"]): r
                for r in await connection.fetch(
                    KEYED_SQL,
                    [i.key[0] for i in keyed if i.key],
                    [i.key[1] for i in keyed if i.key],
                )
            }
            for item in keyed:
                assert item.key is not None
                row = earlier.get(item.key[:2])
                if row is None or row["created_at"] + policy.idempotency_ttl <= now:
                    continue
                if row["idempotency_fingerprint"] != item.key[2]:
                    item.errors.append(
                        _error("IDEMPOTENCY_KEY_REUSED", ("idempotencyKey",), "key reused")
                    )
                else:
                    item.errors.append({"replay": row["id"], "status": row["status"]})
        candidates: list[Item] = []
        for item in asked:
            assert item.request is not None
            if item.errors:
                continue
            calendar = found.get(item.request.psychologist_id)
            if calendar is None:
                item.errors.append(
                    _error("NOT_FOUND", ("psychologistId",), "No such psychologist.")
                )
                continue
            duration = (
                item.request.duration_minutes or calendar.psychologist.default_duration_minutes
            )
            violations = check_request(
                calendar=calendar,
                starts_at=item.request.scheduled_at,
                duration_minutes=duration,
                now=now,
                policy=policy,
                appointment_type=item.request.appointment_type,
            )
            if violations:
                item.errors += [
                    _error(USER_ERROR_FOR_RULE[v.code], (v.field,), v.message) for v in violations
                ]
                continue
            settings, psychologist = calendar.settings, calendar.psychologist
            item.appointment = Appointment(
                id=uuid7(),
                patient_id=UUID(int=0),
                psychologist_id=psychologist.id,
                scheduled_at=item.request.scheduled_at,
                duration_minutes=duration,
                appointment_type=item.request.appointment_type,
                meeting_type=item.request.meeting_type,
                consultation_fee=settings.fee_for(
                    item.request.appointment_type, psychologist.consultation_fee
                ),
                status=AppointmentStatus.PENDING,
                version=1,
                created_at=now,
                updated_at=now,
                notes=item.request.notes,
                request_id=request_id,
                buffer_before_minutes=settings.buffer_before // timedelta(minutes=1),
                buffer_after_minutes=settings.buffer_after // timedelta(minutes=1),
            )
            candidates.append(item)
        await self._without_conflicts(connection, candidates, found)
        candidates = [i for i in candidates if not i.errors]
        await self._with_patients(connection, candidates, now)
        candidates = [i for i in candidates if not i.errors]
        if candidates:
            await self._store(connection, candidates, actor, now)

    async def _without_conflicts(
        self, connection: asyncpg.Connection, candidates: list[Item], found: dict[UUID, Calendar]
    ) -> None:
        periods: dict[UUID, Interval] = {}
        for item in candidates:
            assert item.appointment is not None
            a = item.appointment
            held = Interval(a.scheduled_at - AROUND, a.ends_at + AROUND)
            known = periods.get(a.psychologist_id, held)
            periods[a.psychologist_id] = Interval(
                min(known.start, held.start), max(known.end, held.end)
            )
        if not periods:
            return
        booked: dict[UUID, list[Booked]] = {key: [] for key in periods}
        rows = await connection.fetch(
            HELD_SQL,
            list(periods),
            [p.start for p in periods.values()],
            [p.end for p in periods.values()],
        )
        for r in rows:
            booked[r["psychologist_id"]].append(
                Booked(r["scheduled_at"], Interval(r["blocked_from"], r["blocked_until"]))
            )
        for item in candidates:
            assert item.appointment is not None
            calendar = found[item.appointment.psychologist_id]
            violations = check_conflicts(
                calendar=calendar,
                interval=item.appointment.interval,
                psychologist_busy=Bookings(booked[item.appointment.psychologist_id], calendar.zone),
                patient_busy=(),
            )
            item.errors += [
                _error(USER_ERROR_FOR_RULE[v.code], (v.field,), v.message)
                if v.code is not RuleCode.SLOT_TAKEN
                else _error("SLOT_TAKEN", ("scheduledAt",), v.message)
                for v in violations
            ]

    async def _with_patients(
        self, connection: asyncpg.Connection, candidates: list[Item], now: datetime
    ) -> None:
        """Each candidate's patient found by email, or added; the PENDING cap applied."""
        profiles: dict[str, PatientProfile] = {}
        for item in candidates:
            assert item.request is not None
            assert item.request.patient is not None
            profiles.setdefault(normal_email(item.request.patient.email), item.request.patient)
        emails = list(profiles)
        ids = {r["email"]: r["id"] for r in await connection.fetch(PATIENTS_BY_EMAIL_SQL, emails)}
        # Added in the order of their emails, as the API adds them: two requests adding some
        # of the same patients wait on each other in one order, never in a cycle.
        missing = sorted(e for e in emails if e not in ids)
        if missing:
            await connection.execute(
                ADD_PATIENTS_SQL,
                [uuid7() for _ in missing],
                [profiles[e].name.strip() for e in missing],
                missing,
                [profiles[e].phone for e in missing],
                now,
            )
            ids.update(
                {
                    r["email"]: r["id"]
                    for r in await connection.fetch(PATIENTS_BY_EMAIL_SQL, missing)
                }
            )
        for item in candidates:
            assert item.request is not None
            assert item.request.patient is not None
            assert item.appointment is not None
            patient_id = ids[normal_email(item.request.patient.email)]
            item.appointment = replace(item.appointment, patient_id=patient_id)
        wanted = sorted({i.appointment.patient_id for i in candidates if i.appointment})
        await connection.execute(LOCK_PATIENTS_SQL, wanted)
        counts = dict.fromkeys(wanted, 0)
        counts.update({r[0]: r[1] for r in await connection.fetch(PENDING_SQL, wanted)})
        for item in candidates:
            assert item.appointment is not None
            patient_id = item.appointment.patient_id
            if counts[patient_id] >= self.floor.policy.max_pending_per_patient:
                item.errors.append(_error("TOO_MANY_PENDING", (), "Too many requests waiting."))
            else:
                counts[patient_id] += 1

    async def _store(
        self, connection: asyncpg.Connection, candidates: list[Item], actor: Actor, now: datetime
    ) -> None:
        rows = []
        for item in candidates:
            assert item.appointment is not None
            key = item.key
            rows.append(
                {
                    **appointment_to_row(item.appointment),
                    "idempotency_scope": key[0] if key else None,
                    "idempotency_key": key[1] if key else None,
                    "idempotency_fingerprint": key[2] if key else None,
                }
            )
        columns = list(rows[0])
        created = {
            r["id"]
            for r in await connection.fetch(
                _insert_sql(
                    "appointments", columns, len(rows), " ON CONFLICT DO NOTHING RETURNING id"
                ),
                *[row[c] for row in rows for c in columns],
            )
        }
        kept = [i for i in candidates if i.appointment and i.appointment.id in created]
        for item in candidates:
            if item not in kept:
                item.errors.append(_error("INVALID_INPUT", (), "The request could not be stored."))
        if not kept:
            return
        await connection.execute(LOCK_EVENT_ORDER_SQL, EVENT_ORDER_LOCK)
        events = [i.appointment.opening_event(actor) for i in kept if i.appointment]
        event_rows = [event_to_row(event) for event in events]
        event_columns = list(event_rows[0])
        await connection.fetch(
            _insert_sql(
                "appointment_events",
                event_columns,
                len(event_rows),
                " RETURNING appointment_id, id",
            ),
            *[row[c] for row in event_rows for c in event_columns],
        )
        messages: list[tuple[OutboxMessage, datetime]] = [
            (decision_wanted(i.appointment), now) for i in kept if i.appointment
        ]
        # The notices are written at the time of the latest change, as the API's hook does.
        at = max(event.occurred_at for event in events)
        messages += [
            (notice(StatusChange(i.appointment, event)), at)
            for i, event in zip(kept, events, strict=True)
            if i.appointment
        ]
        values = [_outbox_values(m, when) for m, when in messages]
        await connection.execute(
            NOTIFYING_OUTBOX_SQL, *[[row[c] for row in values] for c in range(len(values[0]))]
        )


def _payload(item: Item) -> dict[str, Any]:
    replay = next((e for e in item.errors if "replay" in e), None)
    if replay is not None:
        return {
            "appointment": {
                "id": global_id("Appointment", replay["replay"]),
                "status": replay["status"],
            },
            "userErrors": [],
        }
    if item.errors or item.appointment is None:
        return {"appointment": None, "userErrors": item.errors}
    return {
        "appointment": {
            "id": global_id("Appointment", item.appointment.id),
            "status": item.appointment.status.value,
        },
        "userErrors": [],
    }


def _answer(items: list[Item], batch: bool, request_id: str) -> bytes:
    if not batch:
        return orjson.dumps(
            {"data": {"requestAppointment": {"requestId": request_id, **_payload(items[0])}}}
        )
    results = [{"index": item.index, **_payload(item)} for item in items]
    accepted = sum(1 for r in results if r["appointment"] is not None)
    return orjson.dumps(
        {
            "data": {
                "requestAppointments": {
                    "acceptedCount": accepted,
                    "failedCount": len(results) - accepted,
                    "results": results,
                }
            }
        },
        default=_default,
    )


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))
