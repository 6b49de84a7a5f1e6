"""The unit of work on SQLAlchemy: one connection, one transaction, committed explicitly."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.changes import Announcement, ScheduleChange, StatusChange
from application.unit_of_work import Outbox
from infra.db.appointment_repository import SqlAppointments
from infra.db.calendar_repository import SqlAudit, SqlCalendars, SqlProfiles
from infra.db.dead_letter_archive import DeadLetterRows
from infra.db.outages import unavailable_on_outage
from infra.db.outbox_store import OutboxRows
from infra.db.people_repository import SqlPeople
from infra.db.series_store import SqlPayments, SqlSeries
from infra.db.write_lock import WriteLock

# Runs inside the transaction, just before it commits, with the status changes it made:
# the notices of those changes join the outbox atomically with them.
BeforeCommit = Callable[[Outbox, Sequence[StatusChange]], Awaitable[None]]


class SqlUnitOfWork:
    """The UnitOfWork port over one connection whose transaction has begun."""

    def __init__(
        self, connection: AsyncConnection, before_commit: BeforeCommit | None = None
    ) -> None:
        self._connection = connection
        self._before_commit = before_commit
        self._announced: list[Announcement] = []
        self._committed = False
        self.appointments = SqlAppointments(connection, self._announced)
        self.people = SqlPeople(connection)
        self.outbox = OutboxRows(connection, notify=connection.dialect.name == "postgresql")
        self.dead_letters = DeadLetterRows(connection)
        self.calendars = SqlCalendars(connection, self._announced)
        self.profiles = SqlProfiles(connection, self._announced)
        self.audit = SqlAudit(connection)
        self.series = SqlSeries(connection)
        self.payments = SqlPayments(connection)

    async def commit(self) -> None:
        if self._before_commit is not None:
            changes = [c for c in self._announced if isinstance(c, StatusChange)]
            if changes:
                await self._before_commit(self.outbox, changes)
        await self.outbox.flush()
        await self._connection.commit()
        self._committed = True

    def committed(self) -> Sequence[Announcement]:
        if not self._committed:
            return []
        # One piece of news per psychologist whose calendar changed is enough.
        seen: set[ScheduleChange] = set()
        kept: list[Announcement] = []
        for change in self._announced:
            if isinstance(change, ScheduleChange):
                if change in seen:
                    continue
                seen.add(change)
            kept.append(change)
        return kept

    @property
    def wrote_outbox(self) -> bool:
        return self._committed and self.outbox.written


class SqlUnitsOfWork:
    """Opens units of work on one engine. ``on_outbox`` runs after a commit that wrote
    outbox rows, to wake an in-process relay."""

    def __init__(
        self,
        engine: AsyncEngine,
        write_lock: WriteLock | None = None,
        *,
        on_outbox: Callable[[], None] = lambda: None,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self._engine = engine
        self._lock = write_lock or WriteLock.for_dialect(engine.dialect.name)
        self._on_outbox = on_outbox
        self._before_commit = before_commit

    def __call__(self) -> AbstractAsyncContextManager[SqlUnitOfWork]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[SqlUnitOfWork]:
        # An outage anywhere inside, its own statements included, is DatabaseUnavailable.
        with unavailable_on_outage():
            async with self._lock, self._engine.connect() as connection:
                await connection.begin()
                unit = SqlUnitOfWork(connection, self._before_commit)
                yield unit
        if unit.wrote_outbox:
            self._on_outbox()
