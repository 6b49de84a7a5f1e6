"""Booking through the served API, as the system tests do it: the slots it offers, requests
from new patients, and waiting for the worker's decisions in the database; on the
replicated stack (`SubscriptionStack`), calls to one replica as a given viewer.

The processes run on the wall clock, so every request is for a slot the served API
itself offers (`availableSlots`, more than a day ahead, inside working hours).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from stack import Client, Database, Stack, appointment_uuid, eventually
from subscription_stack import Replica, SubscriptionStack

from domain.people import Patient, Psychologist
from resolvers.node_ids import from_global_id
from world import node_id

DECIDED_WITHIN_SECONDS = 60.0
ADMIN = ("admin", "admin-1")
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    requestId
    appointment { id status }
    userErrors { field code message }
  }
}"""
SLOTS = """
query($from: DateTime!, $to: DateTime!, $duration: Int!) {
  psychologists(first: 20, filter: {active: true}) {
    nodes {
      id timeZone
      availableSlots(from: $from, to: $to, durationMinutes: $duration, stepMinutes: 60) {
        startsAt
      }
    }
  }
}"""

PSYCHOLOGIST_SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) { startsAt }
  }
}"""


@dataclass(frozen=True)
class Slot:
    psychologist_id: str
    time_zone: str
    starts_at: datetime

    @property
    def psychologist_uuid(self) -> str:
        return str(from_global_id(self.psychologist_id, argument="psychologistId")[1])


@asynccontextmanager
async def served(stack: Stack) -> AsyncIterator[Client]:
    stack.start_api()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as http:
        yield Client(http)


async def free_slots(
    api: Client, stack: Stack, *, duration: int = 50, per_psychologist: int = 1000
) -> list[Slot]:
    """Bookable starts the API offers, at most `per_psychologist` of each, interleaved."""
    now = datetime.now(UTC)
    data = await api.call(
        SLOTS,
        stack.token("admin", "admin-1"),
        **{
            "from": (now + timedelta(days=2)).isoformat(),
            "to": (now + timedelta(days=30)).isoformat(),
            "duration": duration,
        },
    )
    columns = [
        [
            Slot(node["id"], node["timeZone"], datetime.fromisoformat(slot["startsAt"]))
            for slot in node["availableSlots"][:per_psychologist]
        ]
        for node in data["psychologists"]["nodes"]
    ]
    return [slot for row in zip(*columns, strict=False) for slot in row]


def item(
    slot: Slot, *, at: datetime | None = None, duration: int = 50, **extra: Any
) -> dict[str, Any]:
    return {
        "psychologistId": slot.psychologist_id,
        "scheduledAt": (at or slot.starts_at).isoformat(),
        "durationMinutes": duration,
        **extra,
    }


def profile(name: str) -> dict[str, str]:
    return {"name": name.title(), "email": f"{name}@mail.example"}


async def request_as_new_patients(
    api: Client, stack: Stack, items: list[dict[str, Any]], prefix: str
) -> list[str]:
    """Each item from its own new patient, all at once; the ids of the PENDING appointments."""
    calls = [
        api.call(
            REQUEST,
            stack.token("patient", f"{prefix}-{number}"),
            input={**request, "patient": profile(f"{prefix}{number}")},
        )
        for number, request in enumerate(items)
    ]
    payloads = [data["requestAppointment"] for data in await asyncio.gather(*calls)]
    assert [p["userErrors"] for p in payloads] == [[]] * len(items)
    assert {p["appointment"]["status"] for p in payloads} == {"PENDING"}
    ids = [appointment_uuid(p["appointment"]["id"]) for p in payloads]
    assert len(set(ids)) == len(items)
    return ids


async def all_decided(database: Database, ids: list[str]) -> None:
    await eventually(
        lambda: database.still_pending(ids),
        what=f"{len(ids)} requests decided",
        within=DECIDED_WITHIN_SECONDS,
        done=lambda pending: not pending,
    )


def one_decision_each(
    history: dict[str, list[tuple[int, str, str | None]]],
    statuses: dict[str, tuple[str, str | None]],
) -> None:
    for appointment_id, events in history.items():
        status, reason = statuses[appointment_id]
        assert events == [(1, "PENDING", None), (2, status, reason)], appointment_id


def no_errors_logged(stack: Stack) -> None:
    for worker in stack.workers:
        errors = [r for r in worker.records() if r.get("level") in {"error", "critical"}]
        assert errors == [], worker.name
        assert "Traceback" not in worker.output(), worker.name


@asynccontextmanager
async def schedules_locked(database: Database, slots: list[Slot]) -> AsyncIterator[None]:
    """Hold the psychologists' rows: a decision locks its psychologist's row, so a worker
    receives the messages and then waits inside the decision, holding them."""
    schedules = sorted({slot.psychologist_uuid for slot in slots})
    async with database.engine.connect() as blocker:
        await blocker.execute(
            text("SELECT id FROM psychologists WHERE id::text = ANY(:ids) FOR UPDATE"),
            {"ids": schedules},
        )
        try:
            yield
        finally:
            await blocker.rollback()


async def holding_messages(stack: Stack, database: Database) -> tuple[int, int]:
    """Wait until messages are in flight and a decision waits for a lock; both counts."""

    async def seen() -> tuple[int, int]:
        queue, _ = await stack.depths()
        [waiting] = await database.rows(
            "SELECT count(*) AS n FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return queue.in_flight, int(waiting["n"])

    return await eventually(
        seen,
        what="a worker holding messages while its decision waits for the schedule lock",
        within=45,
        done=lambda counts: counts[0] >= 1 and counts[1] >= 1,
    )


# --- on the replicated stack ----------------------------------------------------------------


async def call(
    replica: Replica, system: SubscriptionStack, who: tuple[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    """The data of a query ``who`` (role, subject) sends to ``replica``; it must have no
    errors."""
    async with httpx.AsyncClient(base_url=replica.http_url, timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {system.token(*who)}"},
        )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def as_(person: Patient | Psychologist) -> tuple[str, str]:
    """The viewer (role, subject) a token for `person` names."""
    assert person.subject is not None
    return ("patient" if isinstance(person, Patient) else "psychologist", person.subject)


async def free_starts(
    replica: Replica, system: SubscriptionStack, psychologist: Psychologist, *, days: int
) -> list[str]:
    """The 50-minute starts the replica offers with the psychologist, from two days ahead
    to ``days`` ahead (the processes run on the wall clock)."""
    now = datetime.now(UTC)
    found = await call(
        replica,
        system,
        ADMIN,
        PSYCHOLOGIST_SLOTS,
        id=node_id(psychologist),
        **{
            "from": (now + timedelta(days=2)).isoformat(),
            "to": (now + timedelta(days=days)).isoformat(),
        },
    )
    return [slot["startsAt"] for slot in found["psychologist"]["availableSlots"]]
