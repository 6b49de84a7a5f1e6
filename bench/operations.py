"""The measured operations: GraphQL documents and the request bodies of each case.

Q1 the first page by scheduledAt; Q2 the page after the ``depth``-th row, by
cursor; Q3 one psychologist's CONFIRMED or PENDING sessions in a 30-day window.
The API and the floor get the same bodies; PostGraphile gets its own forms of Q1-Q3
(``bench/postgraphile/peer.py``). Then the frontends' other common reads (R1-R5),
each answered by the API and by its own route of the floor.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson

from bench.dataset import START
from bench.errors import BenchError
from bench.postgraphile import peer
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
    # The floor's route for this operation.
    floor_path: str = "/graphql"
    # Who asks: an admin, or the patient whose subject is given.
    patient_subject: str | None = None
    # PostGraphile's form of the same question, when it has one.
    peer_body: bytes | None = None
    # A page of appointments(first: 20) that must come back full.
    full_page: bool = False


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


APPOINTMENT_FIELDS = (
    "id scheduledAt status appointmentType patient { name email } psychologist { name }"
)
APPOINTMENT_QUERY = f"query One($id: ID!) {{ appointment(id: $id) {{ {APPOINTMENT_FIELDS} }} }}"
NODE_QUERY = (
    "query Node($id: ID!) { node(id: $id) { __typename id "
    f"... on Appointment {{ {APPOINTMENT_FIELDS.removeprefix('id ')} }} }} }}"
)
DIRECTORY_QUERY = (
    "query Directory($specialty: String!, $from: DateTime!, $to: DateTime!) { "
    "psychologists(first: 20, filter: {active: true, specialty: $specialty}) { "
    "edges { node { id name specialties timeZone "
    "availableSlots(from: $from, to: $to) { startsAt endsAt } } } "
    "pageInfo { endCursor hasNextPage } } }"
)
AGENDA_QUERY = (
    "query Agenda($id: ID!, $from: DateTime!) { psychologist(id: $id) { id name "
    "appointments(first: 20, filter: {scheduledFrom: $from}) { "
    "edges { node { id scheduledAt status appointmentType patient { name } } } "
    "pageInfo { endCursor hasNextPage } } } }"
)
VIEWER_QUERY = (
    "query Me($from: DateTime!) { viewer { subject role patient { name "
    "appointments(first: 20, filter: {scheduledFrom: $from, status: [PENDING, CONFIRMED]}) { "
    "edges { node { id scheduledAt status psychologist { name } } } "
    "pageInfo { endCursor hasNextPage } } } } }"
)
READ_QUERIES = (APPOINTMENT_QUERY, NODE_QUERY, DIRECTORY_QUERY, AGENDA_QUERY, VIEWER_QUERY)
# The patient whose token asks R5: patient 0 has sessions whatever the number of rows.
VIEWER_SUBJECT = "patient-0"


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def slot_week(now: datetime) -> tuple[datetime, datetime]:
    """The week R3 asks free slots for: from the Monday at least two days after ``now``
    (past the 24-hour notice, inside the 180-day advance), midnight UTC, seven days."""
    day = (now + timedelta(days=2)).date()
    monday = day + timedelta(days=-day.weekday() % 7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def body_of(query: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


def read_cases(psychologist: str, appointment: str, now: datetime) -> list[Case]:
    week = slot_week(now)
    return [
        Case(
            "R1",
            "appointment(id): one session with its people",
            body_of(APPOINTMENT_QUERY, {"id": appointment}),
            floor_path="/graphql/appointment",
        ),
        Case(
            "R2",
            "node(id): the same session as a Node",
            body_of(NODE_QUERY, {"id": appointment}),
            floor_path="/graphql/node",
        ),
        Case(
            "R3",
            f"psychologists(first: 20, filter) with availableSlots for the week of "
            f"{week[0]:%Y-%m-%d}",
            body_of(
                DIRECTORY_QUERY, {"specialty": "anxiety", "from": iso(week[0]), "to": iso(week[1])}
            ),
            floor_path="/graphql/psychologists",
        ),
        Case(
            "R4",
            "psychologist(id) with appointments(first: 20) nested",
            body_of(AGENDA_QUERY, {"id": psychologist, "from": iso(WINDOW_START)}),
            floor_path="/graphql/psychologist",
        ),
        Case(
            "R5",
            "viewer: a patient's next PENDING or CONFIRMED sessions (patient token)",
            body_of(VIEWER_QUERY, {"from": iso(START)}),
            floor_path="/graphql/viewer",
            patient_subject=VIEWER_SUBJECT,
        ),
    ]


async def build_cases(url: str, depth: int, peer_cursor: str | None = None) -> list[Case]:
    """Q1-Q3 and R1-R5; ``peer_cursor``: PostGraphile's cursor of the ``depth``-th row."""
    variables = await schedule_variables(url)
    schedule = orjson.dumps({"query": SCHEDULE_QUERY, "variables": variables})
    cursor, next_id = await deep_position(url, depth)
    peer_schedule = {
        "psychologist": str(from_global_id(variables["psychologist"])),
        "from": variables["from"],
        "to": variables["to"],
    }
    return [
        Case(
            "Q1",
            "first page",
            page_body(None),
            peer_body=peer.body(peer.PAGE_QUERY, {"after": None}),
            full_page=True,
        ),
        Case(
            "Q2",
            f"page after row {depth:,} (by cursor)",
            page_body(cursor),
            next_id,
            peer_body=None
            if peer_cursor is None
            else peer.body(peer.PAGE_QUERY, {"after": peer_cursor}),
            full_page=True,
        ),
        Case(
            "Q3",
            "one psychologist, CONFIRMED or PENDING, 30 days",
            schedule,
            peer_body=peer.body(peer.SCHEDULE_QUERY, peer_schedule),
            full_page=True,
        ),
        *read_cases(variables["psychologist"], next_id, datetime.now(UTC)),
    ]


def from_global_id(text: str) -> UUID:
    return UUID(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split(":")[1])
