"""The app with its worker and notifications, on a clock the test moves, plus what the
notification tests share: booking through the API, a real webhook receiver."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from appointment_api.bootstrap import build_resources, create_app
from domain.people import Patient, Psychologist
from domain.viewer import Role, Viewer
from graphql_client import APP_NOW, SECRET, Api
from infra.config import Settings
from infra.db.migrate import create_embedded_schema
from use_cases import Clock
from world import World, node_id

ADMIN = Viewer(subject="admin-1", role=Role.ADMIN)
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id status } userErrors { code field } }
}"""
CANCEL = """
mutation($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } userErrors { code } }
}"""


@asynccontextmanager
async def notifying_api(
    database_url: str, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Api]:
    clock = clock or Clock(APP_NOW)
    settings = Settings(
        database_url=database_url,
        jwt_secret=SECRET,
        **{"notifications_idle_seconds": 0.05, **overrides},
    )
    resources = build_resources(settings, clock=clock)
    app = create_app(settings, resources=resources)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Api(client, [], resources, World(resources.engine, clock.now), None)


async def book(api: Api, psychologist: Psychologist, patient: Patient, starts_at: datetime) -> str:
    """A session requested by the patient, once it is CONFIRMED; its global ID."""
    assert patient.subject is not None
    body = await api.query(
        REQUEST,
        as_=("patient", patient.subject),
        input={
            "psychologistId": node_id(psychologist),
            "scheduledAt": starts_at.isoformat(),
            "durationMinutes": 50,
        },
    )
    payload = body["data"]["requestAppointment"]
    assert payload["userErrors"] == [], payload
    appointment_id: str = payload["appointment"]["id"]
    assert await api.wait_for_status(appointment_id, "CONFIRMED") == "CONFIRMED"
    return appointment_id


async def cancel(api: Api, appointment_id: str, reason: str = "Feeling better") -> None:
    body = await api.query(CANCEL, input={"appointmentId": appointment_id, "reason": reason})
    assert body["data"]["cancelAppointment"]["userErrors"] == [], body


async def attempts_recorded(api: Api, count: int, *, seconds: float = 15) -> None:
    """Wait until the delivery log counts ``count`` attempts in all (each is recorded once
    its answer came back, after the receiver saw it)."""
    async with asyncio.timeout(seconds):
        await api.resources.notifications.deliver_webhooks.count.wait_for_tried(count)


async def embedded_database(folder: Path) -> str:
    """A SQLite file with the embedded mode's schema, as `appointment-api dev` makes it."""
    url = f"sqlite+aiosqlite:///{folder / 'notifications.db'}"
    engine = create_async_engine(url)
    try:
        await create_embedded_schema(engine)
    finally:
        await engine.dispose()
    return url


def office_hour(now: datetime, days: int) -> datetime:
    """A start the world's psychologists keep open (office hours, whole hour), ``days`` on."""
    day = (now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
