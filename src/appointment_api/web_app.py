"""The ASGI app around the GraphQL endpoint: health, readiness, metrics, GraphiQL's assets,
and the middleware every request passes through."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from appointment_api.body_limit import BodyLimitMiddleware
from appointment_api.flood_guard import flood_guard, flood_refusal
from appointment_api.graphiql import graphiql_assets_app
from appointment_api.graphql_view import ASSETS_URL, AppointmentGraphQL
from appointment_api.metrics import ApiMetrics
from appointment_api.metrics_endpoint import metrics_page, metrics_port, public_metrics_route
from appointment_api.readiness import Probe, check_readiness
from appointment_api.request_id import RequestIdMiddleware
from appointment_api.security_headers import SecurityHeadersMiddleware
from appointment_api.websocket_shortcut import WebSocketShortcut
from infra.config import Settings
from infra.db.outbox_backlog import OutboxBacklog

log = logging.getLogger("appointment_api")

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def web_app(
    settings: Settings,
    *,
    graphql: AppointmentGraphQL,
    assets_dir: Path,
    metrics: ApiMetrics,
    probes: dict[str, Probe],
    backlog: Callable[[], Awaitable[OutboxBacklog]],
    lifespan: Lifespan,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        readiness = await check_readiness(probes)
        return JSONResponse(readiness.as_json(), status_code=200 if readiness.ready else 503)

    page = metrics_page(metrics, backlog)

    @asynccontextmanager
    async def with_metrics_port(app: Starlette) -> AsyncIterator[None]:
        async with lifespan(app), metrics_port(settings, page):
            yield

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *public_metrics_route(settings, page),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount(ASSETS_URL, app=graphiql_assets_app(assets_dir)),
            *extra_routes,
        ],
        middleware=[
            # Subscriptions' sockets skip the rest: it is for HTTP requests only.
            Middleware(WebSocketShortcut, path="/graphql", endpoint=graphql),
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware, https_only=settings.is_production),
            # Browsers on other origins only with the configured allow-list; no cookies
            # are used, so credentials stay off.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID", "traceparent"],
                expose_headers=["X-Request-ID", "Retry-After"],
                max_age=600,
            ),
            Middleware(SlowAPIASGIMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={RateLimitExceeded: flood_refusal},
        lifespan=with_metrics_port,
    )
    app.state.limiter = flood_guard(settings)
    return app
