"""What one operation may take of what every user shares: a few pool connections at a time,
one read of busy times for many psychologists and windows, statements and requests bounded
in time. On PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from graphql_client import Api, codes, running_api
from world import node_id

PATIENT = ("patient", "budget-patient")


def stamp(api: Api, days: float) -> str:
    return (api.now + timedelta(days=days)).isoformat().replace("+00:00", "Z")


# Set around the test's own request: the in-process transport runs the app in the test's
# context, and the tasks it starts inherit it; the embedded relay's polling does not.
_TRACKED: ContextVar[bool] = ContextVar("tracked", default=False)


@asynccontextmanager
async def most_connections_held(api: Api) -> AsyncIterator[list[int]]:
    """``[most]``: the most connections the block's own requests held at once, from the
    reads' engine and from the prepared reads' pool together."""
    held, most = 0, [0]
    mine: set[int] = set()

    def checkout(connection: Any, *_: Any) -> None:
        nonlocal held
        if _TRACKED.get():
            mine.add(id(connection))
            held += 1
            most[0] = max(most[0], held)

    def checkin(connection: Any, *_: Any) -> None:
        nonlocal held
        if id(connection) in mine:
            mine.discard(id(connection))
            held -= 1

    pool = api.resources.reader.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    prepared = api.resources.prepared
    assert prepared is not None
    lend = prepared.pool.connection

    @asynccontextmanager
    async def counted() -> AsyncIterator[Any]:
        async with lend() as connection:
            checkout(connection)
            try:
                yield connection
            finally:
                checkin(connection)

    prepared.pool.connection = counted  # type: ignore[method-assign]
    token = _TRACKED.set(True)
    try:
        yield most
    finally:
        _TRACKED.reset(token)
        prepared.pool.connection = lend  # type: ignore[method-assign]
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)


WIDE = " ".join(
    f"a{n}: appointments(first: 1, filter: {{ status: [PENDING] }}) {{ totalCount }}"
    for n in range(12)
)


@pytest.mark.parametrize("limit", [1, 2])
async def test_one_operation_holds_no_more_connections_than_its_budget(
    database_url: str, limit: int
) -> None:
    async with running_api(database_url, database_connections_per_request=limit) as api:
        async with most_connections_held(api) as most:
            body = await api.query("{ " + WIDE + " }", as_=PATIENT)
        assert "errors" not in body, body
        assert 1 <= most[0] <= limit


async def test_without_the_budget_the_same_operation_would_take_a_connection_per_field(
    database_url: str,
) -> None:
    # What the budget prevents: twelve root fields read at once by the executor (a compiled
    # plan reads its root fields one after the other anyway).
    async with running_api(
        database_url, database_connections_per_request=50, compiled_reads=False
    ) as api:
        async with most_connections_held(api) as most:
            await api.query("{ " + WIDE + " }", as_=PATIENT)
        assert most[0] > 2


async def test_a_compiled_query_holds_one_connection_at_a_time(database_url: str) -> None:
    async with running_api(database_url, database_connections_per_request=50) as api:
        async with most_connections_held(api) as most:
            body = await api.query("{ " + WIDE + " }", as_=PATIENT)
        assert "errors" not in body, body
        assert most[0] == 1


async def test_free_slots_of_many_psychologists_and_windows_come_from_one_read_each(
    database_url: str,
) -> None:
    async with running_api(database_url) as api:
        psychologists = await api.world.psychologists(20)
        patient = await api.world.patient()
        await api.world.appointment(
            psychologists[0], patient, starts_at=api.now + timedelta(days=3)
        )
        # Three days from Wednesday on, each at its own step.
        questions = [
            f'availableSlots(from: "{stamp(api, 2 + n)}", to: "{stamp(api, 3 + n)}",'
            f" stepMinutes: {15 + 5 * n}) {{ startsAt }}"
            for n in range(3)
        ]
        aliases = " ".join(f"w{n}: {question}" for n, question in enumerate(questions))
        api.statements.clear()
        body = await api.query(
            "{ psychologists(first: 20) { nodes { id " + aliases + " } } }", as_=PATIENT
        )
        assert "errors" not in body, body
        nodes = body["data"]["psychologists"]["nodes"]
        assert len(nodes) == 20
        busy_reads = [s for s in api.statements if "blocked_from" in s and "FROM appointments" in s]
        assert len(busy_reads) == 1
        # The same answers as each question asked alone.
        for n, question in enumerate(questions):
            alone = await api.query(
                "{ psychologists(first: 20) { nodes { id " + question + " } } }", as_=PATIENT
            )
            found = alone["data"]["psychologists"]["nodes"]
            slots = {node["id"]: node["availableSlots"] for node in found}
            assert {node["id"]: node[f"w{n}"] for node in nodes} == slots
            assert any(slots.values())
        assert {node["id"] for node in nodes} == {node_id(p) for p in psychologists}


async def test_postgresql_stops_a_statement_past_the_timeout(database_url: str) -> None:
    async with (
        running_api(database_url, database_statement_timeout_ms=100) as api,
        api.resources.engine.connect() as connection,
    ):
        with pytest.raises(DBAPIError, match="statement timeout"):
            await connection.execute(text("SELECT pg_sleep(2)"))


@asynccontextmanager
async def appointments_locked(api: Api) -> AsyncIterator[None]:
    """Every read of appointments waits while the block runs."""
    async with api.world.engine.connect() as connection:
        await connection.begin()
        await connection.execute(text("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE"))
        yield
        await connection.rollback()


async def test_a_query_stuck_on_the_database_is_stopped_by_the_statement_timeout(
    database_url: str,
) -> None:
    async with running_api(
        database_url, database_statement_timeout_ms=200, request_timeout_seconds=30
    ) as api:
        async with appointments_locked(api):
            async with asyncio.timeout(10):
                body = await api.query("{ appointments(first: 1) { totalCount } }", as_=PATIENT)
        assert codes(body) == ["TIMEOUT"]
        assert "statement" not in str(body)


async def test_an_operation_past_the_time_budget_is_stopped_with_a_clear_error(
    database_url: str,
) -> None:
    async with running_api(
        database_url, database_statement_timeout_ms=0, request_timeout_seconds=0.5
    ) as api:
        async with appointments_locked(api):
            async with asyncio.timeout(10):
                body = await api.query("{ appointments(first: 1) { totalCount } }", as_=PATIENT)
        assert body["data"] is None
        assert codes(body) == ["TIMEOUT"]
        assert "0.5 s" in body["errors"][0]["message"]
        # The app goes on serving.
        after = await api.query("{ appointments(first: 1) { totalCount } }", as_=PATIENT)
        assert after["data"]["appointments"]["totalCount"] == 0
