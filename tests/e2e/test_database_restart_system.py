"""A worker process on a PostgreSQL server of this test's own, which is restarted while the
worker holds messages: the worker waits the outage out and decides every request, those
it held and those made after the restart.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from booking import (
    Slot,
    all_decided,
    free_slots,
    holding_messages,
    item,
    no_errors_logged,
    one_decision_each,
    request_as_new_patients,
    served,
)
from stack import ChildProcess, Database, Stack, eventually

from infra.db.migrate import upgrade_to_head
from support.postgres import PostgresAdmin, PostgresCluster
from support.processes import in_thread

OUTAGE_SEEN_WITHIN_SECONDS = 30.0


@pytest.fixture
def own_postgres() -> Iterator[tuple[PostgresCluster, str]]:
    """A cluster this test may stop and start, with a migrated database on it."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        admin = PostgresAdmin(cluster.admin_url)
        admin.create_database("appointments")
        url = admin.url("appointments")
        in_thread(lambda: upgrade_to_head(url))
        yield cluster, url
    finally:
        cluster.stop()


@pytest.fixture
def stack_database_url(own_postgres: tuple[PostgresCluster, str]) -> str:
    return own_postgres[1]


@asynccontextmanager
async def schedules_held(stack: Stack, slots: list[Slot]) -> AsyncIterator[None]:
    """Lock the psychologists' rows in a session the restart will end: a worker's decision
    waits for them, holding its messages, until the server goes down under it."""
    connection = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        await connection.execute("BEGIN")
        await connection.execute(
            "SELECT id FROM psychologists WHERE id = ANY($1::uuid[]) FOR UPDATE",
            sorted({slot.psychologist_uuid for slot in slots}),
        )
        yield
    finally:
        # The session is gone with the server: nothing to roll back.
        connection.terminate()


def logged(worker: ChildProcess, message: str) -> list[dict[str, Any]]:
    return worker.logged(message)


async def outage_seen(worker: ChildProcess) -> dict[str, int]:
    worker.check_alive()
    return {
        "consumer paused": len(logged(worker, "database unavailable, receiving paused")),
        "probe failed": len(logged(worker, "database still unavailable")),
        "relay waits": len(logged(worker, "database unavailable, outbox relay waits")),
    }


async def test_a_worker_keeps_running_across_a_postgresql_restart_and_decides_after_it(
    stack: Stack, database: Database, own_postgres: tuple[PostgresCluster, str]
) -> None:
    cluster, _ = own_postgres
    async with served(stack) as api:
        slots = (await free_slots(api, stack, per_psychologist=2))[:4]
        held_slots, later_slots = slots[:2], slots[2:]
        held = await request_as_new_patients(api, stack, [item(s) for s in held_slots], "held")

        async with schedules_held(stack, held_slots):
            [worker] = stack.start_workers(1)
            await holding_messages(stack, database)
            with cluster.stopped():
                # The decision in hand loses its session; nothing is received again and
                # the relay waits, until the database answers.
                seen = await eventually(
                    lambda: outage_seen(worker),
                    what="the worker waiting out the outage",
                    within=OUTAGE_SEEN_WITHIN_SECONDS,
                    done=lambda counts: (
                        counts["consumer paused"] == 1
                        and counts["probe failed"] >= 1
                        and counts["relay waits"] >= 2
                    ),
                )
                assert worker.alive, seen
        # The test's own pool holds sessions of the stopped server.
        await database.engine.dispose()

        await all_decided(database, held)
        later = await request_as_new_patients(api, stack, [item(s) for s in later_slots], "later")
        await all_decided(database, later)

    statuses = await database.statuses(held + later)
    assert set(statuses.values()) == {("CONFIRMED", None)}
    one_decision_each(await database.history(held + later), statuses)
    assert logged(worker, "database reachable again, receiving resumed")
    assert logged(worker, "database reachable again, outbox relay resumed")
    no_errors_logged(stack)
    assert worker.terminate() == 0
