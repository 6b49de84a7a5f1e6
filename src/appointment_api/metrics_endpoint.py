"""Where the API's /metrics is served: on a port of its own (METRICS_PORT), or on the public
port behind a bearer token (METRICS_TOKEN), or, in development only, openly."""

import asyncio
import hmac
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appointment_api.metrics import CONTENT_TYPE_LATEST, ApiMetrics
from infra.config import Settings
from infra.db.outbox_backlog import OutboxBacklog

log = logging.getLogger("appointment_api")

Endpoint = Callable[[Request], Awaitable[Response]]


def metrics_page(metrics: ApiMetrics, backlog: Callable[[], Awaitable[OutboxBacklog]]) -> Endpoint:
    async def page(_: Request) -> Response:
        try:
            metrics.observe_backlog(await backlog())
        except (SQLAlchemyError, OSError):
            log.warning("outbox backlog not measured: database unreachable")
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return page


def behind_token(page: Endpoint, token: str) -> Endpoint:
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "Send Authorization: Bearer <METRICS_TOKEN>."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return await page(request)

    return guarded


def public_metrics_route(settings: Settings, page: Endpoint) -> list[Route]:
    """/metrics on the public port: none when it has its own port, else behind the token
    when one is set (production refuses to start with neither)."""
    if settings.metrics_port is not None:
        return []
    if settings.metrics_token is not None:
        return [Route("/metrics", behind_token(page, settings.metrics_token.get_secret_value()))]
    return [Route("/metrics", page)]


class _QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The main server handles the signals; this one stops with the app's lifespan.
        yield


@asynccontextmanager
async def metrics_port(settings: Settings, page: Endpoint) -> AsyncIterator[None]:
    """/metrics on HOST:METRICS_PORT for the block, when the port is set."""
    if settings.metrics_port is None:
        yield
        return
    app = Starlette(routes=[Route("/metrics", page)])
    config = uvicorn.Config(
        app, host=settings.host, port=settings.metrics_port, lifespan="off", log_config=None
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve())
    ready = asyncio.create_task(server.ready.wait())
    # Serving ends early only when the port cannot be had: then its error is raised here.
    await asyncio.wait([serving, ready], return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        ready.cancel()
        serving.result()
        raise OSError(f"METRICS_PORT: could not serve on {settings.host}:{settings.metrics_port}")
    log.info("metrics on http://%s:%d/metrics", settings.host, settings.metrics_port)
    try:
        yield
    finally:
        server.should_exit = True
        await serving
