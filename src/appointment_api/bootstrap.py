"""The composition root: settings → adapters → services → the ASGI app or the worker."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.trace import TracerProvider
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from uuid6 import uuid7

from appointment_api.body_limit import BodyLimitMiddleware
from appointment_api.dev_examples import graphiql_presets
from appointment_api.edge import edge_extensions, edge_rate_limits
from appointment_api.flood_guard import flood_guard, flood_refusal
from appointment_api.graphiql import GraphiQLPresets, default_assets_dir, graphiql_assets_app
from appointment_api.graphql_view import ASSETS_URL, AppointmentGraphQL
from appointment_api.metrics import CONTENT_TYPE_LATEST, ApiMetrics
from appointment_api.operation_metrics import operation_metrics
from appointment_api.readiness import Probe, check_readiness
from appointment_api.request_id import RequestIdMiddleware
from appointment_api.security_headers import SecurityHeadersMiddleware
from appointment_api.tracing import (
    operation_tracing,
    shut_down_tracing,
    tracer_provider_from_environment,
)
from domain.rules import BookingPolicy
from domain.viewer import Role
from infra.auth import JwtVerifier, issue_token
from infra.config import Settings
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.appointment_store import SqlAppointmentStore
from infra.db.booking_store import SqlBookingStore
from infra.db.decision_store import SqlDecisions
from infra.db.engine import create_engine
from infra.db.event_history import SqlEventHistory
from infra.db.outbox_backlog import outbox_backlog
from infra.db.outbox_store import SqlOutbox
from infra.db.people_reads import SqlPeopleReads
from infra.db.write_lock import WriteLock
from infra.pubsub.memory_pubsub import InMemoryEventStream
from infra.pubsub.redis_pubsub import RedisEventStream
from infra.pubsub.status_events import ChannelStatusEvents
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from resolvers.booking import RequestAppointments
from resolvers.context import Services
from resolvers.schema import build_schema

Clock = Callable[[], datetime]
log = logging.getLogger("appointment_api")


def system_clock() -> datetime:
    return datetime.now(UTC)


def booking_policy(settings: Settings) -> BookingPolicy:
    return BookingPolicy(
        min_notice=timedelta(hours=settings.min_notice_hours),
        max_advance=timedelta(days=settings.max_advance_days),
    )


@dataclass
class Resources:
    """Everything built from the settings, shared by the API and the worker parts."""

    settings: Settings
    engine: AsyncEngine
    clock: Clock
    write_lock: WriteLock
    pubsub: InMemoryEventStream | RedisEventStream
    status_events: ChannelStatusEvents
    decisions: SqlDecisions
    outbox: SqlOutbox
    outbox_signal: asyncio.Event = field(default_factory=asyncio.Event)

    async def close(self) -> None:
        try:
            await self.pubsub.close()
        finally:
            await self.engine.dispose()


def build_resources(settings: Settings, *, clock: Clock = system_clock) -> Resources:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    write_lock = WriteLock.for_dialect(engine.dialect.name)
    # Replicas share events through Redis; the embedded mode is one process.
    pubsub = RedisEventStream(settings.redis_url) if settings.redis_url else InMemoryEventStream()
    return Resources(
        settings=settings,
        engine=engine,
        clock=clock,
        write_lock=write_lock,
        pubsub=pubsub,
        status_events=ChannelStatusEvents(pubsub),
        decisions=SqlDecisions(engine, write_lock, booking_policy(settings)),
        outbox=SqlOutbox(engine, write_lock, random.Random()),
    )


def build_services(resources: Resources) -> Services:
    engine, settings = resources.engine, resources.settings
    people = SqlPeopleReads(engine)
    policy = booking_policy(settings)
    return Services(
        appointments=SqlAppointmentReads(engine),
        people=people,
        authenticator=JwtVerifier.from_settings(settings),
        clock=resources.clock,
        policy=policy,
        request_appointments=RequestAppointments(
            store=SqlBookingStore(engine, resources.write_lock, resources.outbox_signal.set),
            psychologists=people.psychologists_by_ids,
            clock=resources.clock,
            policy=policy,
            new_id=uuid7,
            events=resources.status_events,
        ),
        appointment_writes=SqlAppointmentStore(engine, resources.write_lock),
        status_events=resources.status_events,
        event_stream=resources.pubsub,
        event_history=SqlEventHistory(engine),
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    resources: Resources | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """``tracer_provider``: where operations' spans go; by default the one the standard
    ``OTEL_*`` variables configure, if any. The app shuts it down when it stops."""
    from appointment_api.worker_runtime import embedded_worker

    resources = resources or build_resources(settings, clock=clock)
    tracer_provider = tracer_provider or tracer_provider_from_environment()
    assets_dir = settings.graphiql_assets_dir or default_assets_dir()
    rate_limits = edge_rate_limits(settings)
    metrics = ApiMetrics()
    services = build_services(resources)
    graphql = AppointmentGraphQL(
        schema=build_schema(
            edge=edge_extensions(settings, rate_limits),
            observers=[*operation_tracing(tracer_provider), operation_metrics(metrics)],
        ),
        services=services,
        assets_dir=assets_dir,
        graphiql=settings.graphiql_on,
        allowed_origins=settings.cors_origins,
        open_websockets=metrics.websockets,
        graphiql_presets=development_presets(settings, services),
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            # Without an SQS queue the relay and the worker run inside this process.
            async with embedded_worker(resources, enabled=settings.sqs_queue_url is None):
                yield
        finally:
            await shut_down_tracing(tracer_provider)
            if rate_limits is not None:
                await rate_limits.close()
            await resources.close()

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        readiness = await check_readiness(readiness_probes(resources))
        return JSONResponse(readiness.as_json(), status_code=200 if readiness.ready else 503)

    async def metrics_page(_: Request) -> Response:
        try:
            metrics.observe_backlog(await outbox_backlog(resources.engine, now=resources.clock()))
        except (SQLAlchemyError, OSError):
            log.warning("outbox backlog not measured: database unreachable")
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_page),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount(ASSETS_URL, app=graphiql_assets_app(assets_dir)),
        ],
        middleware=[
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
        lifespan=lifespan,
    )
    app.state.limiter = flood_guard(settings)
    return app


def development_presets(
    settings: Settings, services: Services
) -> Callable[[], Awaitable[GraphiQLPresets]] | None:
    """In development, GraphiQL opens with an example, its variables and a demo token;
    in production never, whatever else is enabled."""
    secret = settings.effective_jwt_secret
    if settings.is_production or secret is None:
        return None

    def mint(subject: str, role: Role, ttl: timedelta) -> str:
        return issue_token(
            secret=secret,
            subject=subject,
            role=role,
            ttl=ttl,
            # Tokens are checked against the wall clock, whatever the app's clock says.
            now=system_clock(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    return graphiql_presets(services, mint)


def readiness_probes(resources: Resources) -> dict[str, Probe]:
    """What this process depends on, by the name /readyz reports it under."""
    settings = resources.settings

    async def database() -> None:
        async with resources.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    probes: dict[str, Probe] = {"database": database}
    if isinstance(resources.pubsub, RedisEventStream):
        probes["redis"] = resources.pubsub.ping
    if settings.sqs_queue_url:
        queue_url = settings.sqs_queue_url
        endpoint = SqsEndpoint(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)

        async def sqs() -> None:
            async with sqs_client(endpoint) as client:
                await client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])

        probes["sqs"] = sqs
    return probes
