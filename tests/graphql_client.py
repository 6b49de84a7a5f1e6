"""An in-process client of the real ASGI app, seeded with the demo world."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event
from starlette.applications import Starlette

from appointment_api.bootstrap import Resources, build_resources, create_app
from domain.viewer import Role
from infra.auth import issue_token
from infra.config import Settings
from infra.db.demo_data import seed_demo_world
from resolvers.live_events import appointment_channel, decode_event
from resolvers.node_ids import from_global_id

SECRET = "integration-secret-0123456789abcdef0123"
SEEDED_AT = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


@dataclass
class Api:
    client: httpx.AsyncClient
    statements: list[str]
    resources: Resources

    async def wait_for_status(
        self, appointment_id: str, wanted: str, *, seconds: float = 10
    ) -> str:
        """Wait for a status event on the appointment's channel (subscribe first, then read)."""
        _, key = from_global_id(appointment_id, argument="id")
        async with self.resources.pubsub.subscribe([appointment_channel(key)]) as events:
            current = await self._status(appointment_id)
            async with asyncio.timeout(seconds):
                while current != wanted and current in (None, "PENDING"):
                    current = decode_event(await anext(events)).event.status.value
        return str(current)

    async def _status(self, appointment_id: str) -> str | None:
        body = await self.query(
            "query($id: ID!) { appointment(id: $id) { status } }", id=appointment_id
        )
        found = body["data"]["appointment"]
        return None if found is None else str(found["status"])

    def token(self, role: str, subject: str) -> str:
        return issue_token(
            secret=SECRET,
            subject=subject,
            role=Role(role.upper()),
            ttl=timedelta(hours=1),
            now=datetime.now(UTC),
        )

    async def query(
        self, query: str, *, as_: tuple[str, str] | None = ("admin", "admin-1"), **variables: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token(*as_)}"} if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def running_api(database_url: str) -> AsyncIterator[Api]:
    settings = Settings(database_url=database_url, jwt_secret=SECRET)  # type: ignore[arg-type]
    resources = build_resources(settings, clock=lambda: SEEDED_AT)
    await seed_demo_world(resources.engine, now=SEEDED_AT)
    statements: list[str] = []

    def count(*args: Any) -> None:
        # The embedded relay polls the outbox on its own schedule: not the request's cost.
        if "FROM outbox" not in args[2]:
            statements.append(args[2])

    event.listen(resources.engine.sync_engine, "before_cursor_execute", count)
    app: Starlette = create_app(settings, resources=resources)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Api(client, statements, resources)


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
