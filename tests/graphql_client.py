"""An in-process client of the real ASGI app, on a clock the test sets and a database that
starts empty: each test writes what it needs through `Api.world`."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import strawberry
import uvicorn
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.routing import Route

from application.live_events import appointment_channel, decode_event
from appointment_api.bootstrap import Resources, build_resources, create_app
from appointment_api.cli import websocket_options
from appointment_api.graphql_view import AppointmentGraphQL
from domain.viewer import Role
from infra.auth import issue_token
from infra.config import Settings
from resolvers.node_ids import from_global_id
from world import World

SECRET = "integration-secret-0123456789abcdef0123"
METRICS_TOKEN = "integration-metrics-token-0123456789"
# What the app's clock shows unless a test sets another instant (a Monday, noon UTC).
APP_NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
# What the embedded worker's loops read on their own, whatever the test does.
BACKGROUND_TABLES = (
    "FROM outbox",
    "FROM webhook_deliveries",
    "FROM outgoing_emails",
    "FROM reminders",
)


@dataclass
class Api:
    client: httpx.AsyncClient
    statements: list[str]
    resources: Resources
    # Writes the test's own data, on the app's clock.
    world: World
    # The app also served on a port, for websockets, when asked to (``listen=True``).
    server: "Served | None" = None
    # The schema the app serves (and what it keeps, such as its live renderings).
    schema: strawberry.Schema | None = None

    @property
    def now(self) -> datetime:
        """The app's clock."""
        return self.world.now

    @property
    def ws_url(self) -> str:
        assert self.server is not None, "running_api(..., listen=True) serves websockets"
        return f"ws://{self.server.address}/graphql"

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

    def token(self, role: str, subject: str, *, ttl: timedelta = timedelta(hours=1)) -> str:
        return issue_token(
            secret=SECRET,
            subject=subject,
            role=Role(role.upper()),
            ttl=ttl,
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

    async def query_with(
        self,
        query: str | None,
        *,
        extensions: dict[str, Any] | None = None,
        as_: tuple[str, str] = ("admin", "admin-1"),
    ) -> dict[str, Any]:
        """The answer's body, whatever its status (a refusal may be a 4xx)."""
        body: dict[str, Any] = {"query": query}
        if extensions is not None:
            body["extensions"] = extensions
        response = await self.client.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {self.token(*as_)}"}
        )
        answer: dict[str, Any] = response.json()
        return answer


def listen_to_statements(resources: Resources, record: Callable[[str], None]) -> None:
    """``record`` gets every statement the app sends: through SQLAlchemy on either engine,
    and through the prepared reads' own pool."""
    for engine in {resources.engine, resources.reader}:
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: record(args[2]))
    if resources.prepared is not None:
        resources.prepared.listeners.append(record)


@asynccontextmanager
async def running_api(
    database_url: str, *, listen: bool = False, now: datetime = APP_NOW, **overrides: Any
) -> AsyncIterator[Api]:
    """The app on this database with its clock stopped at ``now``; ``listen`` also serves
    it on a free port (for websockets), ``overrides`` replace default settings (e.g.
    ``redis_url``)."""
    if overrides.get("app_env") == "production" and "metrics_port" not in overrides:
        # Production refuses to serve /metrics openly: behind this token, unless a test
        # gives it a port of its own.
        overrides.setdefault("metrics_token", METRICS_TOKEN)
    settings = Settings(database_url=database_url, jwt_secret=SECRET, **overrides)
    resources = build_resources(settings, clock=lambda: now)
    statements: list[str] = []

    def count(statement: str) -> None:
        # The embedded relay and notification loops poll on their own schedule: not the
        # request's cost.
        if not any(table in statement for table in BACKGROUND_TABLES):
            statements.append(statement)

    listen_to_statements(resources, count)
    app: Starlette = create_app(settings, resources=resources)
    listening: AbstractAsyncContextManager[Served | None] = (
        served(app, settings) if listen else nullcontext(None)
    )
    async with app.router.lifespan_context(app), listening as server:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            world = World(resources.engine, now)
            yield Api(client, statements, resources, world, server, served_schema(app))


def served_schema(app: Starlette) -> strawberry.Schema:
    """The schema behind the app's /graphql route."""
    for route in app.routes:
        if isinstance(route, Route) and isinstance(route.endpoint, AppointmentGraphQL):
            return route.endpoint.schema
    raise LookupError("the app serves no GraphQL route")


class _InProcessServer(uvicorn.Server):
    """uvicorn on the test's event loop, leaving its signal handlers alone."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@dataclass
class Served:
    address: str  # host:port
    _server: _InProcessServer
    _serving: "asyncio.Task[None]"

    async def stop(self) -> None:
        """Shut down as uvicorn does on SIGTERM; idempotent."""
        self._server.should_exit = True
        await self._serving


@asynccontextmanager
async def served(app: Starlette, settings: Settings) -> AsyncIterator[Served]:
    """Serve ``app`` (its lifespan already running) on a free port of 127.0.0.1, with the
    websocket settings ``appointment-api serve`` gives uvicorn."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    host, port = listener.getsockname()
    config = uvicorn.Config(app, lifespan="off", log_level="warning", **websocket_options(settings))
    server = _InProcessServer(config)
    running = Served(f"{host}:{port}", server, asyncio.create_task(server.serve([listener])))
    try:
        async with asyncio.timeout(30):
            await server.ready.wait()
        yield running
    finally:
        await running.stop()
        listener.close()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
