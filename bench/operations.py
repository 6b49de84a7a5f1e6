"""The measured operations: GraphQL documents and the request bodies of each case.

Q1 the first page by scheduledAt; Q2 the page after the ``depth``-th row, by
cursor; Q3 one psychologist's CONFIRMED or PENDING sessions in a 30-day window.
Both servers get the same bodies.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson

from bench.dataset import START
from bench.errors import BenchError
from resolvers.node_ids import to_global_id
from resolvers.pagination import encode_cursor

SELECTION = (
    "edges { node { id scheduledAt status appointmentType "
    "patient { name email } psychologist { name } } } "
    "pageInfo { endCursor hasNextPage }"
)
PAGE_QUERY = (
    f"query Page($after: String) {{ appointments(first: 20, after: $after) {{ {SELECTION} }} }}"
)
SCHEDULE_QUERY = (
    "query Schedule($psychologist: ID!, $from: DateTime!, $to: DateTime!) { "
    "appointments(first: 20, filter: {psychologistId: $psychologist, "
    "status: [CONFIRMED, PENDING], scheduledFrom: $from, scheduledTo: $to}) "
    f"{{ {SELECTION} }} }}"
)
ORDERING = "appointments:SCHEDULED_AT:ASC"
# Q3's window: 30 days, half a year into the data.
WINDOW_START = START + timedelta(days=180)
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    body: bytes
    # The global id the page must start with, when the data fixes it.
    first_id: str | None = None


def page_body(after: str | None) -> bytes:
    return orjson.dumps({"query": PAGE_QUERY, "variables": {"after": after}})


async def deep_position(url: str, depth: int) -> tuple[str, str]:
    """The API's cursor of the ``depth``-th row by (scheduled_at, id), and the next row's id."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT scheduled_at, id FROM appointments ORDER BY scheduled_at, id OFFSET $1 LIMIT 2",
            depth - 1,
        )
    finally:
        await connection.close()
    if len(rows) < 2:
        raise BenchError(f"a page after row {depth} needs more than {depth} appointments")
    cursor = encode_cursor(ORDERING, (rows[0]["scheduled_at"], rows[0]["id"]))
    return cursor, to_global_id("Appointment", rows[1]["id"])


async def schedule_variables(url: str) -> dict[str, Any]:
    connection = await asyncpg.connect(url)
    try:
        psychologist = await connection.fetchval(
            "SELECT id FROM psychologists ORDER BY email LIMIT 1"
        )
    finally:
        await connection.close()
    return {
        "psychologist": to_global_id("Psychologist", psychologist),
        "from": WINDOW_START.isoformat().replace("+00:00", "Z"),
        "to": (WINDOW_START + WINDOW).isoformat().replace("+00:00", "Z"),
    }


async def build_cases(url: str, depth: int) -> list[Case]:
    schedule = orjson.dumps({"query": SCHEDULE_QUERY, "variables": await schedule_variables(url)})
    cursor, next_id = await deep_position(url, depth)
    return [
        Case("Q1", "first page", page_body(None)),
        Case("Q2", f"page after row {depth:,} (by cursor)", page_body(cursor), next_id),
        Case("Q3", "one psychologist, CONFIRMED or PENDING, 30 days", schedule),
    ]
