"""Read queries for appointments and their history, scoped by viewer."""

import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.operators import ColumnOperators

from domain.appointments import BLOCKING_STATUSES, Appointment, StatusEvent
from domain.bookings import Booked
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    AppointmentOrderField,
    OrderDirection,
    Page,
    PageColumns,
    PageRequest,
    RowsPage,
)
from domain.schedule import Interval
from domain.viewer import Viewer
from infra.db.connection_budget import connect
from infra.db.keyset import page_bounds, page_limit, page_values, paginate, reading_order, trim
from infra.db.prepared import PreparedStatements, shape_of
from infra.db.rows import appointment_from_row, event_from_row
from infra.db.scoping import viewer_values, visible_appointments
from infra.db.tables import appointment_events, appointments, patients, psychologists

ORDER_COLUMNS: dict[AppointmentOrderField, ColumnElement[Any]] = {
    AppointmentOrderField.SCHEDULED_AT: appointments.c.scheduled_at,
    AppointmentOrderField.CREATED_AT: appointments.c.created_at,
    AppointmentOrderField.UPDATED_AT: appointments.c.updated_at,
    AppointmentOrderField.STATUS: appointments.c.status,
}


def filter_values(wanted: AppointmentFilter) -> dict[str, object]:
    """The values ``filter_conditions`` binds, by parameter name: the filters given."""
    values: dict[str, object] = {}
    if wanted.patient_id is not None:
        values["filter_patient_id"] = wanted.patient_id
    if wanted.psychologist_id is not None:
        values["filter_psychologist_id"] = wanted.psychologist_id
    if wanted.statuses:
        values["filter_statuses"] = [s.value for s in wanted.statuses]
    if wanted.appointment_types:
        values["filter_types"] = [t.value for t in wanted.appointment_types]
    if wanted.scheduled_from is not None:
        values["filter_from"] = wanted.scheduled_from
    if wanted.scheduled_to is not None:
        values["filter_to"] = wanted.scheduled_to
    if wanted.is_paid is not None:
        values["filter_paid"] = wanted.is_paid
    return values


# Each filter's column and comparison, by its parameter's name. The parameters are named
# so that a prepared statement can bind them again; a list is matched with IN.
_FILTERS: dict[str, tuple[ColumnElement[Any], Callable[[Any, Any], Any]]] = {
    "filter_patient_id": (appointments.c.patient_id, operator.eq),
    "filter_psychologist_id": (appointments.c.psychologist_id, operator.eq),
    "filter_statuses": (appointments.c.status, ColumnOperators.in_),
    "filter_types": (appointments.c.appointment_type, ColumnOperators.in_),
    "filter_from": (appointments.c.scheduled_at, operator.ge),
    "filter_to": (appointments.c.scheduled_at, operator.lt),
    "filter_paid": (appointments.c.is_paid, operator.eq),
}


def filter_conditions(wanted: AppointmentFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name, value in filter_values(wanted).items():
        column, compare = _FILTERS[name]
        listed = isinstance(value, list)
        bound = bindparam(name, value, type_=None if listed else column.type, expanding=listed)
        conditions.append(compare(column, bound))
    return conditions


# The people a page may join, by the appointment's attribute that names them.
_PERSON_TABLES = {"patient": patients, "psychologist": psychologists}
# The parent a nested page hangs from: its key column on appointments, and its table.
PARENT_COLUMNS = {
    "patient": appointments.c.patient_id,
    "psychologist": appointments.c.psychologist_id,
}


def visible_where(viewer: Viewer, wanted: AppointmentFilter) -> ColumnElement[bool]:
    """The rows ``viewer`` may see that match ``wanted``: every appointment read starts here."""
    return and_(visible_appointments(viewer), *filter_conditions(wanted))


def page_columns(columns: PageColumns, order: AppointmentOrder) -> tuple[list[Any], Any]:
    """The labelled columns of ``columns`` (then the cursor's key) and the FROM they need.

    An appointment the viewer may see always has a patient they may see (a patient sees
    themselves, a psychologist the patients on their schedule), so the people are joined
    without a scoping condition of their own; they are outer joins so that a missing row
    shows as NULLs, never as a missing appointment."""
    selected: list[Any] = [appointments.c[name] for name in columns.appointment]
    source: Any = appointments
    for person, names in (("patient", columns.patient), ("psychologist", columns.psychologist)):
        if names is None:
            continue
        table = _PERSON_TABLES[person]
        source = source.outerjoin(table, table.c.id == PARENT_COLUMNS[person])
        selected += [table.c[name] for name in names]
    selected += [ORDER_COLUMNS[order.field], appointments.c.id]
    return [column.label(f"c{i}") for i, column in enumerate(selected)], source


def page_statement(
    viewer: Viewer,
    wanted: AppointmentFilter,
    order: AppointmentOrder,
    page: PageRequest,
    columns: PageColumns,
) -> Select[Any]:
    """One page of what ``viewer`` may see, with only ``columns``, joins included."""
    selected, source = page_columns(columns, order)
    return paginate(
        select(*selected).select_from(source).where(visible_where(viewer, wanted)),
        (ORDER_COLUMNS[order.field], appointments.c.id),
        descending=order.direction is OrderDirection.DESC,
        page=page,
    )


class SqlAppointmentReads:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        reader: AsyncEngine | None = None,
        prepared: PreparedStatements | None = None,
    ) -> None:
        """``reader``: where the plain-row reads of compiled queries run (an engine without
        transactions nor pings); the engine by default. ``prepared``: where the pages' and
        rows' statements keep their prepared forms (PostgreSQL); without it every read
        goes through SQLAlchemy."""
        self._engine = engine
        # A read-only page needs no transaction: on PostgreSQL its statements run as they
        # are, without a BEGIN and a ROLLBACK around each one.
        self._pages = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        self._reader = reader or self._pages
        self._prepared = prepared

    async def page(
        self,
        viewer: Viewer,
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        *,
        with_total: bool,
    ) -> Page[Appointment]:
        where = visible_where(viewer, wanted)
        query = paginate(
            select(appointments).where(where),
            (ORDER_COLUMNS[order.field], appointments.c.id),
            descending=order.direction is OrderDirection.DESC,
            page=page,
        )
        async with connect(self._pages) as connection:
            rows = (await connection.execute(query)).mappings().all()
            total = None
            if with_total:
                count = select(func.count()).select_from(appointments).where(where)
                total = (await connection.execute(count)).scalar_one()
        kept, has_next, has_previous = trim(rows, page)
        return Page(
            items=[appointment_from_row(row) for row in kept],
            has_next=has_next,
            has_previous=has_previous,
            total=total,
        )

    async def page_rows(
        self,
        viewer: Viewer,
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        columns: PageColumns,
        *,
        with_total: bool,
    ) -> RowsPage:
        """The page as plain rows of the selected columns: one statement (two with the
        total, one after the other), outside any transaction."""
        matching = {**viewer_values(viewer), **filter_values(wanted)}
        values = {**matching, **page_values(page)}
        shape = ("page", viewer.role, order, page.backwards, page.size, columns, shape_of(values))
        rows = await self._read(
            self._reader,
            shape,
            values,
            lambda: page_statement(viewer, wanted, order, page, columns),
        )
        total = None
        if with_total:
            counted = await self._read(
                self._reader,
                ("count", viewer.role, shape_of(matching)),
                matching,
                lambda: (
                    select(func.count())
                    .select_from(appointments)
                    .where(visible_where(viewer, wanted))
                ),
            )
            total = counted[0][0]
        kept, has_next, has_previous = trim(rows, page)
        return RowsPage(kept, has_next, has_previous, total)

    async def _read(
        self,
        engine: AsyncEngine,
        shape: Hashable,
        values: Mapping[str, object],
        build: Callable[[], Select[Any]],
    ) -> Sequence[Sequence[Any]]:
        """The rows of the statement ``build`` makes, whose parameters are ``values``:
        through its prepared form when it has one (PostgreSQL), else on ``engine``."""
        if self._prepared is not None:
            found = await self._prepared.rows(shape, values, build)
            if found is not None:
                return found
        async with connect(engine) as connection:
            rows: Sequence[Sequence[Any]] = (await connection.execute(build())).all()
        return rows

    async def rows_by_ids(
        self, viewer: Viewer, ids: Sequence[UUID], columns: PageColumns
    ) -> dict[UUID, Sequence[object]]:
        """The appointments among ``ids`` the viewer may see, as plain rows of ``columns``
        (then the default ordering's value and the id), people joined, in one statement."""
        values = {**viewer_values(viewer), "ids": list(ids)}

        def build() -> Select[Any]:
            selected, source = page_columns(columns, AppointmentOrder())
            wanted: Any = bindparam("ids", values["ids"], expanding=True)
            return (
                select(*selected)
                .select_from(source)
                .where(visible_appointments(viewer), appointments.c.id.in_(wanted))
            )

        shape = ("ids", viewer.role, columns, shape_of(values))
        rows = await self._read(self._reader, shape, values, build)
        return {row[-1]: row for row in rows}

    async def pages_by_parent(
        self,
        viewer: Viewer,
        parent: str,
        parent_ids: Sequence[UUID],
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        columns: PageColumns,
        *,
        with_total: bool,
    ) -> dict[UUID, RowsPage]:
        """The same page under each of several parents (``patient`` or ``psychologist``),
        in one statement whatever their number: a LATERAL join on PostgreSQL, a window
        function elsewhere. ``wanted`` must not pin that parent itself."""
        ids = list(dict.fromkeys(parent_ids))
        if not ids:
            return {}
        key = PARENT_COLUMNS[parent]
        matching = {**viewer_values(viewer), **filter_values(wanted), "parent_ids": ids}
        values = {**matching, **page_values(page)}
        shape = (
            "parents",
            parent,
            viewer.role,
            order,
            page.backwards,
            page.size,
            columns,
            shape_of(values),
        )

        def counts() -> Select[Any]:
            return (
                select(key, func.count())
                .select_from(appointments)
                .where(visible_where(viewer, wanted), key.in_(_parent_ids(ids)))
                .group_by(key)
            )

        found = await self._read(
            self._pages,
            shape,
            values,
            lambda: self._per_parent(
                parent, ids, visible_where(viewer, wanted), order, page, columns
            ),
        )
        totals: dict[UUID, int] = {}
        if with_total:
            counted = await self._read(
                self._pages,
                ("parent counts", parent, viewer.role, shape_of(matching)),
                matching,
                counts,
            )
            totals = {row[0]: row[1] for row in counted}
        grouped: dict[UUID, list[Sequence[object]]] = {key_id: [] for key_id in ids}
        for row in found:
            grouped[row[0]].append(row[1:])
        pages: dict[UUID, RowsPage] = {}
        for key_id, rows in grouped.items():
            kept, has_next, has_previous = trim(rows, page)
            total = totals.get(key_id, 0) if with_total else None
            pages[key_id] = RowsPage(kept, has_next, has_previous, total)
        return pages

    async def pages_of_parents(
        self,
        viewer: Viewer,
        parent: str,
        parent_ids: Sequence[UUID],
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        *,
        with_total: bool,
    ) -> dict[UUID, Page[Appointment]]:
        """``pages_by_parent`` with whole appointments, for the resolvers."""
        names = tuple(column.name for column in appointments.columns)
        pages = await self.pages_by_parent(
            viewer,
            parent,
            parent_ids,
            wanted,
            order,
            page,
            PageColumns(appointment=names),
            with_total=with_total,
        )
        return {
            key: Page(
                [appointment_from_row(dict(zip(names, row, strict=False))) for row in found.rows],
                found.has_next,
                found.has_previous,
                found.total,
            )
            for key, found in pages.items()
        }

    def _per_parent(
        self,
        parent: str,
        ids: list[UUID],
        where: ColumnElement[bool],
        order: AppointmentOrder,
        page: PageRequest,
        columns: PageColumns,
    ) -> Select[Any]:
        key = PARENT_COLUMNS[parent]
        selected, source = page_columns(columns, order)
        labels = [f"c{i}" for i in range(len(selected))]
        descending = order.direction is OrderDirection.DESC
        position = (ORDER_COLUMNS[order.field], appointments.c.id)
        bounds = page_bounds(position, descending=descending, page=page)
        reading = reading_order(position, descending=descending, page=page)
        if self._engine.dialect.name == "postgresql":
            # Each parent's page is its own index range scan, however many rows it has.
            table = _PERSON_TABLES[parent]
            parents = (
                select(table.c.id.label("parent"))
                .where(table.c.id.in_(_parent_ids(ids)))
                .subquery()
            )
            each = (
                select(*selected)
                .select_from(source)
                .where(where, key == parents.c.parent, *bounds)
                .order_by(*reading)
                .limit(page_limit(page))
                .lateral("page")
            )
            backwards = descending != page.backwards
            tail = [each.c[labels[-2]], each.c[labels[-1]]]
            return (
                select(parents.c.parent, *[each.c[label] for label in labels])
                .select_from(parents.join(each, true()))
                .order_by(parents.c.parent, *[c.desc() if backwards else c.asc() for c in tail])
            )
        numbered = (
            select(
                key.label("parent"),
                *selected,
                func.row_number().over(partition_by=key, order_by=reading).label("rn"),
            )
            .select_from(source)
            .where(where, key.in_(_parent_ids(ids)), *bounds)
            .subquery("numbered")
        )
        return (
            select(numbered.c.parent, *[numbered.c[label] for label in labels])
            .where(numbered.c.rn <= page.size + 1)
            .order_by(numbered.c.parent, numbered.c.rn)
        )

    async def by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Appointment]:
        query = select(appointments).where(appointments.c.id.in_(ids), visible_appointments(viewer))
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return {row["id"]: appointment_from_row(row) for row in rows}

    async def histories(self, ids: Sequence[UUID]) -> dict[UUID, list[StatusEvent]]:
        """Histories of appointments the caller has already been allowed to read."""
        query = (
            select(appointment_events)
            .where(appointment_events.c.appointment_id.in_(ids))
            .order_by(appointment_events.c.appointment_id, appointment_events.c.version)
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        histories: dict[UUID, list[StatusEvent]] = {key: [] for key in ids}
        for row in rows:
            histories[row["appointment_id"]].append(event_from_row(row))
        return histories

    async def busy_intervals(
        self, psychologist_ids: Sequence[UUID], window: Interval
    ) -> dict[UUID, list[Booked]]:
        """Every PENDING or CONFIRMED session of each psychologist whose held time (the
        session with its buffers) meets the window, in one query whatever the number of
        psychologists."""
        query = select(
            appointments.c.psychologist_id,
            appointments.c.scheduled_at,
            appointments.c.blocked_from,
            appointments.c.blocked_until,
        ).where(
            appointments.c.psychologist_id.in_(list(psychologist_ids)),
            appointments.c.status.in_([s.value for s in BLOCKING_STATUSES]),
            appointments.c.blocked_from < window.end,
            appointments.c.blocked_until > window.start,
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).all()
        busy: dict[UUID, list[Booked]] = {key: [] for key in psychologist_ids}
        for psychologist_id, start, held_from, held_until in rows:
            busy[psychologist_id].append(Booked(start, Interval(held_from, held_until)))
        return busy


def _parent_ids(ids: list[UUID]) -> Any:
    """The parents of a nested page, as a parameter a prepared statement binds again."""
    return bindparam("parent_ids", ids, expanding=True)
