"""Adapters wired to this test's own PostgreSQL database."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import Api, running_api
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.engine import create_engine
from infra.db.migrate import create_embedded_schema
from infra.db.people_reads import SqlPeopleReads
from infra.db.unit_of_work import SqlUnitsOfWork

STAMP = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def units(engine: AsyncEngine) -> SqlUnitsOfWork:
    return SqlUnitsOfWork(engine)


@pytest.fixture
def appointment_reads(engine: AsyncEngine) -> SqlAppointmentReads:
    return SqlAppointmentReads(engine)


@pytest.fixture
def people_reads(engine: AsyncEngine) -> SqlPeopleReads:
    return SqlPeopleReads(engine)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """The real app in process, on this test's database seeded with the demo world."""
    async with running_api(database_url) as client:
        yield client


@pytest.fixture(params=["postgresql", "sqlite"])
async def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of this test's own: PostgreSQL, or an embedded SQLite file."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("database_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    engine = create_engine(url)
    try:
        await create_embedded_schema(engine)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def backend_api(backend_url: str) -> AsyncIterator[Api]:
    """The app in process on ``backend_url``'s database."""
    async with running_api(backend_url) as api:
        yield api
