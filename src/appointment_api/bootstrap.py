"""The composition root: settings → adapters → use cases → the ASGI app, the worker and the
operator commands. The tests build through it too."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from uuid6 import uuid7

from application.free_slots import FreeSlots
from application.live_updates import LiveUpdates
from application.meeting_links import MeetingLinks
from application.notice_messages import leave_notices
from application.unit_of_work import Transactions
from application.use_cases import UseCases, use_cases
from appointment_api.dev_examples import graphiql_presets
from appointment_api.dev_inbox import WebhookInbox, mail_routes, webhook_routes
from appointment_api.edge import edge_extensions, edge_rate_limits
from appointment_api.graphiql import GraphiQLPresets, default_assets_dir
from appointment_api.graphql_view import AppointmentGraphQL
from appointment_api.metrics import ApiMetrics
from appointment_api.notification_parts import Notifications, build_notifications
from appointment_api.operation_metrics import operation_metrics
from appointment_api.persisted_documents import KnownDocuments, PersistedDocuments
from appointment_api.readiness import Probe
from appointment_api.tracing import (
    operation_tracing,
    shut_down_tracing,
    tracer_provider_from_environment,
)
from appointment_api.web_app import web_app
from domain.policy import BookingPolicy
from domain.viewer import Role
from infra.auth import JwtVerifier, issue_token
from infra.config import DEFAULT_MEETING_BASE_URL, Settings
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.calendar_reads import SqlCalendarReads
from infra.db.engine import create_engine
from infra.db.event_history import SqlEventHistory
from infra.db.lifecycle_reads import SqlLifecycleReads
from infra.db.outages import SqlProbe
from infra.db.outbox_backlog import OutboxBacklog, outbox_backlog
from infra.db.outbox_notices import OutboxListener, connecting
from infra.db.outbox_store import SqlOutbox
from infra.db.people_reads import SqlPeopleReads
from infra.db.prepared import PreparedStatements
from infra.db.read_pool import ReadPool
from infra.db.unit_of_work import SqlUnitsOfWork
from infra.db.write_lock import WriteLock
from infra.meetings.room_links import RoomLinks
from infra.pubsub.memory_pubsub import InMemoryEventStream
from infra.pubsub.redis_pubsub import RedisEventStream
from infra.pubsub.status_events import ChannelStatusEvents
from infra.queue.opening import open_queue
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from infra.trusted_documents import load_trusted_documents
from resolvers.context import NotificationServices, Services
from resolvers.schema import build_schema
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.dead_letters import DeadLetterSweeper
from worker.outage import DatabaseOutage
from worker.outbox_relay import OutboxRelay
from worker.ports import DeadLetterQueue, DecisionObserver, MessageQueue
from worker.runner import Part, run_until_stopped

Clock = Callable[[], datetime]
log = logging.getLogger("appointment_api")


def system_clock() -> datetime:
    return datetime.now(UTC)


def booking_policy(settings: Settings) -> BookingPolicy:
    return BookingPolicy(
        min_notice=timedelta(hours=settings.min_notice_hours),
        max_advance=timedelta(days=settings.max_advance_days),
        max_pending_per_patient=settings.max_pending_per_patient,
        idempotency_ttl=timedelta(hours=settings.idempotency_key_hours),
    )


def build_use_cases(
    engine: AsyncEngine,
    *,
    clock: Clock,
    policy: BookingPolicy,
    live: LiveUpdates,
    write_lock: WriteLock | None = None,
    on_outbox: Callable[[], None] = lambda: None,
    new_id: Callable[[], UUID] = uuid7,
    meetings: MeetingLinks | None = None,
) -> UseCases:
    """``on_outbox`` runs after a commit that wrote outbox rows (it wakes an in-process relay);
    ``meetings`` makes video calls' links (by default, rooms on the default base URL)."""
    # Every status change leaves its notice in the outbox, in its own transaction.
    units = SqlUnitsOfWork(engine, write_lock, on_outbox=on_outbox, before_commit=leave_notices)
    return use_cases(
        Transactions(units, live),
        clock=clock,
        policy=policy,
        new_id=new_id,
        meetings=meetings or RoomLinks(DEFAULT_MEETING_BASE_URL),
    )


@dataclass
class Resources:
    """Everything built from the settings, shared by the API and the worker parts."""

    settings: Settings
    engine: AsyncEngine
    clock: Clock
    write_lock: WriteLock
    pubsub: InMemoryEventStream | RedisEventStream
    use_cases: UseCases
    outbox: SqlOutbox
    outbox_signal: asyncio.Event
    notifications: Notifications
    # Compiled reads' connections (PostgreSQL): no transaction, no ping; else the engine.
    read_engine: AsyncEngine | None = None
    # The appointment reads' statements in their prepared forms (PostgreSQL).
    prepared: PreparedStatements | None = None

    @property
    def reader(self) -> AsyncEngine:
        return self.read_engine or self.engine

    async def close(self) -> None:
        try:
            await self.notifications.close()
            await self.pubsub.close()
        finally:
            await self.engine.dispose()
            if self.read_engine is not None:
                await self.read_engine.dispose()
            if self.prepared is not None:
                await self.prepared.close()


def prepared_reads(settings: Settings, engine: AsyncEngine) -> PreparedStatements | None:
    """Where the appointment reads keep their prepared statements, on a pool of their own
    (PostgreSQL); None elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    pool = ReadPool(
        engine,
        size=settings.database_pool_size,
        statement_timeout_ms=settings.database_statement_timeout_ms,
    )
    return PreparedStatements(engine.dialect, pool)


def build_engine(
    settings: Settings, *, pool_size: int | None = None, read_only: bool = False
) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        pool_size=pool_size or settings.database_pool_size,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        read_only=read_only,
    )


@asynccontextmanager
async def operator_database(settings: Settings) -> AsyncIterator[tuple[AsyncEngine, WriteLock]]:
    """The database for a command that runs once and exits (seed, dead-letter commands)."""
    engine = build_engine(settings, pool_size=1)
    try:
        yield engine, WriteLock.for_dialect(engine.dialect.name)
    finally:
        await engine.dispose()


def build_resources(settings: Settings, *, clock: Clock = system_clock) -> Resources:
    engine = build_engine(settings)
    write_lock = WriteLock.for_dialect(engine.dialect.name)
    # Replicas share events through Redis; the embedded mode is one process.
    pubsub = RedisEventStream(settings.redis_url) if settings.redis_url else InMemoryEventStream()
    outbox_signal = asyncio.Event()
    read_engine = (
        build_engine(settings, read_only=True)
        if settings.compiled_reads and engine.dialect.name == "postgresql"
        else None
    )
    return Resources(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        prepared=prepared_reads(settings, engine),
        clock=clock,
        write_lock=write_lock,
        pubsub=pubsub,
        use_cases=build_use_cases(
            engine,
            clock=clock,
            policy=booking_policy(settings),
            live=ChannelStatusEvents(pubsub),
            write_lock=write_lock,
            on_outbox=outbox_signal.set,
            meetings=RoomLinks(settings.meeting_base_url),
        ),
        outbox=SqlOutbox(engine, write_lock, random.Random()),
        outbox_signal=outbox_signal,
        notifications=build_notifications(
            settings,
            engine,
            write_lock,
            clock=clock,
            wall_clock=system_clock,
            embedded=settings.sqs_queue_url is None,
        ),
    )


def build_services(resources: Resources) -> Services:
    engine, settings = resources.engine, resources.settings
    appointments = SqlAppointmentReads(engine, reader=resources.reader, prepared=resources.prepared)
    calendars = SqlCalendarReads(engine)
    policy = booking_policy(settings)
    return Services(
        appointments=appointments,
        people=SqlPeopleReads(engine),
        authenticator=JwtVerifier.from_settings(settings),
        clock=resources.clock,
        policy=policy,
        use_cases=resources.use_cases,
        event_stream=resources.pubsub,
        event_history=SqlEventHistory(engine),
        calendars=calendars,
        free_slots=FreeSlots(
            calendars=calendars, busy=appointments, clock=resources.clock, policy=policy
        ),
        lifecycle=SqlLifecycleReads(engine),
        notifications=NotificationServices(
            webhooks=resources.notifications.webhooks,
            preferences=resources.notifications.preferences,
        ),
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
    problem = settings.api_metrics_problem()
    if problem is not None:
        raise ValueError(problem)
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
            compiled=settings.compiled_reads,
            paths=metrics,
        ),
        services=services,
        assets_dir=assets_dir,
        graphiql=settings.graphiql_on,
        allowed_origins=settings.cors_origins,
        open_websockets=metrics.websockets,
        graphiql_presets=development_presets(settings, services),
        request_timeout=settings.request_timeout_seconds,
        documents=persisted_documents(settings),
        cache_seconds=settings.get_cache_seconds,
        send_timeout=settings.ws_send_timeout_seconds,
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

    async def backlog() -> OutboxBacklog:
        return await outbox_backlog(resources.engine, now=resources.clock())

    return web_app(
        settings,
        graphql=graphql,
        assets_dir=assets_dir,
        metrics=metrics,
        probes=readiness_probes(resources),
        backlog=backlog,
        lifespan=lifespan,
        extra_routes=development_routes(settings, resources),
    )


def persisted_documents(settings: Settings) -> PersistedDocuments:
    trusted = settings.trusted_documents
    return PersistedDocuments(
        trusted=load_trusted_documents(trusted) if trusted is not None else None,
        known=KnownDocuments(settings.persisted_queries_kept),
        max_length=settings.max_query_length,
    )


def development_routes(settings: Settings, resources: Resources) -> list[BaseRoute]:
    """Outside production: the caught emails (/dev/mail) and a webhook receiver
    (/dev/webhooks) a developer can point an endpoint at."""
    if settings.is_production:
        return []
    routes: list[BaseRoute] = [*webhook_routes(WebhookInbox())]
    catcher = resources.notifications.catcher
    if catcher is not None:
        routes += mail_routes(catcher)
    return routes


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


# --- the worker ---------------------------------------------------------------------------

# Pauses while the database is away: short at first, never longer than this.
OUTAGE_BACKOFF_BASE_SECONDS = 0.5
OUTAGE_BACKOFF_CAP_SECONDS = 15.0


def _outage_backoff() -> Backoff:
    return Backoff(base=OUTAGE_BACKOFF_BASE_SECONDS, cap=OUTAGE_BACKOFF_CAP_SECONDS)


def worker_parts(
    resources: Resources,
    queue: MessageQueue,
    dead_letters: DeadLetterQueue,
    observer: DecisionObserver | None = None,
) -> list[Part]:
    """The outbox relay, the consumer and the dead-letter sweeper, on the use cases."""
    settings, use_cases = resources.settings, resources.use_cases
    relay = OutboxRelay(
        resources.outbox,
        queue,
        resources.clock,
        idle_seconds=settings.relay_idle_seconds,
        wake=resources.outbox_signal,
        outage_backoff=_outage_backoff(),
    )
    consumer = Consumer(
        queue,
        use_cases.queued_work,
        use_cases.reject_failed,
        resources.clock,
        DatabaseOutage(SqlProbe(resources.engine), _outage_backoff()),
        observer=observer,
        concurrency=settings.worker_concurrency,
        parallel_decisions=settings.worker_parallel_decisions,
        visibility_timeout=settings.sqs_visibility_timeout,
        announce=resources.notifications.announce,
    )
    sweeper = DeadLetterSweeper(
        dead_letters,
        use_cases.archive_dead_letter,
        resources.clock,
        observer=observer,
        retry_base=OUTAGE_BACKOFF_BASE_SECONDS,
        retry_cap=OUTAGE_BACKOFF_CAP_SECONDS,
    )
    notifications = resources.notifications.loops(settings, _outage_backoff)
    parts: list[Part] = [relay.run, consumer.run, sweeper.run, notifications.run]
    if resources.engine.dialect.name == "postgresql":
        # Any process's commit wakes the relay; its poll is only the fallback then.
        listener = OutboxListener(
            connecting(settings.database_url), resources.outbox_signal, backoff=_outage_backoff()
        )
        parts.append(listener.run)
    return parts


@asynccontextmanager
async def embedded_worker(resources: Resources, *, enabled: bool) -> AsyncIterator[None]:
    """The relay and the worker inside this process, for the block's duration."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    await resources.notifications.start_catcher()
    async with open_queue(resources.settings) as (queue, dead_letters):
        running = asyncio.create_task(
            run_until_stopped(worker_parts(resources, queue, dead_letters), stop)
        )
        try:
            yield
        finally:
            stop.set()
            await running
