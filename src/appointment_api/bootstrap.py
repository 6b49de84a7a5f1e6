"""The composition root: settings → adapters → services → the ASGI app."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from appointment_api.body_limit import BodyLimitMiddleware
from appointment_api.graphiql import default_assets_dir, graphiql_assets_app
from appointment_api.graphql_view import ASSETS_URL, AppointmentGraphQL
from appointment_api.request_id import RequestIdMiddleware
from domain.rules import BookingPolicy
from infra.auth import JwtVerifier
from infra.config import Settings
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.engine import create_engine
from infra.db.people_reads import SqlPeopleReads
from resolvers.context import Services
from resolvers.schema import build_schema

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def booking_policy(settings: Settings) -> BookingPolicy:
    return BookingPolicy(
        min_notice=timedelta(hours=settings.min_notice_hours),
        max_advance=timedelta(days=settings.max_advance_days),
    )


@dataclass
class Resources:
    engine: AsyncEngine
    services: Services

    async def close(self) -> None:
        await self.engine.dispose()


def build_resources(settings: Settings, *, clock: Clock = system_clock) -> Resources:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    services = Services(
        appointments=SqlAppointmentReads(engine),
        people=SqlPeopleReads(engine),
        authenticator=JwtVerifier.from_settings(settings),
        clock=clock,
        policy=booking_policy(settings),
    )
    return Resources(engine=engine, services=services)


def create_app(
    settings: Settings, *, clock: Clock = system_clock, resources: Resources | None = None
) -> Starlette:
    resources = resources or build_resources(settings, clock=clock)
    assets_dir = settings.graphiql_assets_dir or default_assets_dir()
    graphql = AppointmentGraphQL(
        schema=build_schema(introspection=settings.introspection_on),
        services=resources.services,
        assets_dir=assets_dir,
        graphiql=settings.graphiql_on,
        allowed_origins=settings.cors_origins,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await resources.close()

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        ok = await _database_reachable(resources.engine)
        return JSONResponse({"database": "ok" if ok else "down"}, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Mount(ASSETS_URL, app=graphiql_assets_app(assets_dir)),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )


async def _database_reachable(engine: AsyncEngine) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
