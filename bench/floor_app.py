"""The floor: the benchmark's pages from bare Starlette + asyncpg + orjson.

It answers the benchmark's POST bodies with the JSON the API gives for them
(global ids, 'Z' instants, the API's cursors), from one SQL statement with
joins and a row-value keyset bound. It parses no GraphQL and checks no token:
it shows what serving these rows costs without the GraphQL layer. The other
common reads have their own routes (``bench/floor_reads.py``).

POST /requests is the write floor (bench/floor_writes.py): requestAppointment and
requestAppointments as one bare transaction.

    DATABASE_URL=postgresql://... uvicorn --factory bench.floor_app:create_app
"""

import base64
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bench.floor_reads import init_connection, read_routes
from bench.floor_writes import Requests, WriteFloor

PAGE_SIZE = 20
ORDERING = "appointments:SCHEDULED_AT:ASC"

COLUMNS = """
SELECT a.id, a.scheduled_at, a.status, a.appointment_type,
    p.name AS patient_name, p.email AS patient_email, s.name AS psychologist_name
FROM appointments a
JOIN patients p ON p.id = a.patient_id
JOIN psychologists s ON s.id = a.psychologist_id
"""
ORDER = f" ORDER BY a.scheduled_at, a.id LIMIT {PAGE_SIZE + 1}"
FIRST_PAGE_SQL = COLUMNS + ORDER
PAGE_AFTER_SQL = COLUMNS + " WHERE (a.scheduled_at, a.id) > ($1, $2)" + ORDER
SCHEDULE_SQL = (
    COLUMNS
    + " WHERE a.psychologist_id = $1 AND a.status IN ('CONFIRMED', 'PENDING')"
    + " AND a.scheduled_at >= $2 AND a.scheduled_at < $3"
    + ORDER
)


def unpadded_b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def padded_b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def global_id(type_name: str, value: UUID) -> str:
    return unpadded_b64(f"{type_name}:{value}".encode())


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cursor(row: asyncpg.Record) -> str:
    return unpadded_b64(orjson.dumps([ORDERING, row["scheduled_at"].isoformat(), str(row["id"])]))


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    ordering, value, row_id = orjson.loads(padded_b64decode(text))
    if ordering != ORDERING:
        raise ValueError("cursor of another ordering")
    return datetime.fromisoformat(value), UUID(row_id)


def connection_json(rows: Sequence[asyncpg.Record]) -> dict[str, Any]:
    page = rows[:PAGE_SIZE]
    edges = [
        {
            "node": {
                "id": global_id("Appointment", row["id"]),
                "scheduledAt": instant(row["scheduled_at"]),
                "status": row["status"],
                "appointmentType": row["appointment_type"],
                "patient": {"name": row["patient_name"], "email": row["patient_email"]},
                "psychologist": {"name": row["psychologist_name"]},
            }
        }
        for row in page
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "endCursor": cursor(page[-1]) if page else None,
            "hasNextPage": len(rows) > PAGE_SIZE,
        },
    }


async def fetch_page(pool: asyncpg.Pool, variables: dict[str, Any]) -> list[asyncpg.Record]:
    if "psychologist" in variables:
        psychologist = UUID(padded_b64decode(variables["psychologist"]).decode().split(":")[1])
        window = (
            datetime.fromisoformat(variables["from"]),
            datetime.fromisoformat(variables["to"]),
        )
        return await pool.fetch(SCHEDULE_SQL, psychologist, *window)  # type: ignore[no-any-return]
    after = variables.get("after")
    if after is None:
        return await pool.fetch(FIRST_PAGE_SQL)  # type: ignore[no-any-return]
    return await pool.fetch(PAGE_AFTER_SQL, *decode_cursor(after))  # type: ignore[no-any-return]


def create_app() -> Starlette:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # As many connections as the API's engine may open (pool 10, overflow 10).
        pools.append(await asyncpg.create_pool(url, min_size=10, max_size=20, init=init_connection))
        try:
            yield
        finally:
            await pools[0].close()

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        rows = await fetch_page(pools[0], body.get("variables") or {})
        answer = {"data": {"appointments": connection_json(rows)}}
        return Response(orjson.dumps(answer), media_type="application/json")

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    writes: list[Requests] = []

    async def requests(request: Request) -> Response:
        if not writes:
            writes.append(Requests(WriteFloor.from_environment(), pools[0]))
        return await writes[0](request)

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            Route("/requests", requests, methods=["POST"]),
            # The frontends' other common reads, one route each (bench/floor_reads.py).
            *read_routes(lambda: pools[0]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
