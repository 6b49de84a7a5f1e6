"""Adapters wired to this test's own PostgreSQL database."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import Api, running_api
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.engine import create_engine
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
