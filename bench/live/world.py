"""The spread and feed parts' own appointments: the read suite's generator (``dataset``)
on a database of its own, every slot in the future, so that the bench cancels
appointments it made rather than the demo world's."""

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]

from application.notification_ports import FAILED, PENDING
from bench import dataset
from bench.servers import api_env
from resolvers.node_ids import to_global_id
from support.postgres import PostgresAdmin, PostgresCluster

DATABASE = "appointments_live_parts"
# The generator's share of PENDING and CONFIRMED rows is about 60 %: ask for more rows.
CANCELLABLE_SHARE = 0.5
FEED_PSYCHOLOGIST = "psychologist-0"
# The generator leaves the status history out; a subscription starts from its newest
# event, so each appointment gets one for its current status and version.
HISTORY = """
INSERT INTO appointment_events (appointment_id, version, status, occurred_at, kind)
SELECT id, version, status, created_at, 'STATUS_CHANGED' FROM appointments
"""
CANCELLABLE = """
SELECT a.id FROM appointments a JOIN psychologists p ON p.id = a.psychologist_id
WHERE a.status IN ('PENDING', 'CONFIRMED') AND (p.subject = $1) = $2
ORDER BY a.scheduled_at, a.id
"""


# The API runs the relay and the worker in process when no SQS queue is set: what one
# part leaves undelivered (notices of its cancellations) would be worked off by the next
# part's API, inside its measured window. Dropped between parts instead.
UNDISPATCHED = "UPDATE outbox SET dispatched_at = now() WHERE dispatched_at IS NULL"
UNSENT = "UPDATE outgoing_emails SET status = $1 WHERE status = $2"


def drop_backlog(url: str) -> tuple[int, int]:
    """Marks what the previous part left in the outbox as dispatched and its unsent
    emails as failed; how many of each."""

    async def drop() -> tuple[int, int]:
        connection = await asyncpg.connect(url)
        try:
            outbox = await connection.execute(UNDISPATCHED)
            emails = await connection.execute(UNSENT, FAILED, PENDING)
        finally:
            await connection.close()
        return int(outbox.split()[-1]), int(emails.split()[-1])

    return asyncio.run(drop())


@dataclass(frozen=True)
class PartsWorld:
    url: str  # libpq
    feed: list[str]  # cancellable appointments of FEED_PSYCHOLOGIST (global ids)
    others: list[str]  # cancellable appointments of the other psychologists


def sizes_for(feed: int, others: int) -> dataset.Sizes:
    """One psychologist with at least ``feed`` cancellable appointments, and enough others
    to hold ``others`` more."""
    slots = max(100, math.ceil(feed / CANCELLABLE_SHARE))
    psychologists = 1 + max(1, math.ceil(others / (CANCELLABLE_SHARE * slots)))
    return dataset.Sizes(
        appointments=slots * psychologists,
        patients=max(100, others),
        psychologists=psychologists,
        slots=slots,
    )


async def _history_and_cancellable(url: str) -> tuple[list[str], list[str]]:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(HISTORY)
        await connection.execute("ANALYZE appointment_events")
        feed = await connection.fetch(CANCELLABLE, FEED_PSYCHOLOGIST, True)
        others = await connection.fetch(CANCELLABLE, FEED_PSYCHOLOGIST, False)
    finally:
        await connection.close()
    return (
        [to_global_id("Appointment", row["id"]) for row in feed],
        [to_global_id("Appointment", row["id"]) for row in others],
    )


def parts_world(
    cluster: PostgresCluster, feed: int, others: int, say: Callable[[str], None]
) -> PartsWorld:
    """A fresh database in ``cluster``, migrated, with the generator's rows, the first
    slot two days ahead (past any notice the cancellation rules ask for)."""
    admin = PostgresAdmin(cluster.admin_url)
    admin.drop_database(DATABASE)
    admin.create_database(DATABASE)
    url = cluster.url(DATABASE)
    dataset.migrate(url, api_env(dataset.app_url(url), "migrating"))
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    asyncio.run(dataset.load(url, sizes_for(feed, others), say, start=start))
    feed_ids, other_ids = asyncio.run(_history_and_cancellable(url))
    if len(feed_ids) < feed or len(other_ids) < others:
        raise ValueError(
            f"generated {len(feed_ids)} + {len(other_ids)} cancellable appointments, "
            f"not {feed} + {others}"
        )
    return PartsWorld(url, feed_ids, other_ids)
