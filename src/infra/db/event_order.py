"""Status events become visible in the order of their sequence numbers.

An event's sequence (the identity of its row) is taken when it is inserted, but
transactions commit in their own order: two writers could take sequences 7 and 8 and
commit 8 first. A subscriber that saw 8 and resumes "after 8" would then never get 7.
So every transaction that appends events takes one transaction-scoped advisory lock just
before it does: appends, and the commits that follow them, happen one at a time, in
sequence order. It is taken after the row locks, last, so the wait is only for other
writers' final statements and commit. SQLite runs one writer at a time anyway.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Any fixed 64-bit key; this one spells "events" in ASCII.
EVENT_ORDER_LOCK = 0x6576656E7473


async def hold_event_order(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK}
        )
