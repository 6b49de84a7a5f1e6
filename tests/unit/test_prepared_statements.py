"""Prepared reads: a statement compiled once per shape, bound again with each read's values,
must send exactly what SQLAlchemy would send for a statement built from those values."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from domain.appointments import AppointmentStatus
from domain.listing import AppointmentFilter, AppointmentOrder, PageColumns, PageRequest
from domain.viewer import Role, Viewer
from infra.db.appointment_reads import filter_values, page_statement
from infra.db.keyset import page_values
from infra.db.prepared import prepare, shape_of
from infra.db.scoping import viewer_values
from infra.db.tables import appointments

DIALECT = asyncpg_dialect()
COLUMNS = PageColumns(appointment=("id", "status"), patient=("name",), psychologist=("name",))
T0 = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)


def a_read(
    psychologist: UUID, day: int, statuses: tuple[AppointmentStatus, ...], after_day: int
) -> tuple[Viewer, AppointmentFilter, PageRequest]:
    """A patient's page of one psychologist's sessions in a window, after a position."""
    viewer = Viewer(subject=f"patient-{day}", role=Role.PATIENT)
    wanted = AppointmentFilter(
        psychologist_id=psychologist,
        statuses=statuses,
        scheduled_from=T0 + timedelta(days=day),
        scheduled_to=T0 + timedelta(days=day + 30),
    )
    page = PageRequest(size=20, after=(T0 + timedelta(days=after_day), uuid4()))
    return viewer, wanted, page


def values_of(viewer: Viewer, wanted: AppointmentFilter, page: PageRequest) -> dict[str, object]:
    return {**viewer_values(viewer), **filter_values(wanted), **page_values(page)}


def sent_by_sqlalchemy(statement: Select[object]) -> list[object]:
    compiled = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    return [
        processors[name](compiled.params[name]) if name in processors else compiled.params[name]
        for name in compiled.positiontup or []
    ]


def test_one_shape_bound_with_other_values_sends_what_sqlalchemy_would() -> None:
    statuses = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
    first = a_read(uuid4(), 1, statuses, 3)
    second = a_read(uuid4(), 9, statuses, 12)
    order = AppointmentOrder()
    assert shape_of(values_of(*first)) == shape_of(values_of(*second))

    viewer, wanted, page = first
    prepared = prepare(
        page_statement(viewer, wanted, order, page, COLUMNS), values_of(*first), DIALECT
    )

    assert prepared is not None
    viewer, wanted, page = second
    built = page_statement(viewer, wanted, order, page, COLUMNS)
    compiled = built.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    assert prepared.sql == compiled.string
    assert prepared.parameters(values_of(*second)) == sent_by_sqlalchemy(built)


def test_a_list_of_another_length_is_another_shape() -> None:
    one = a_read(uuid4(), 1, (AppointmentStatus.PENDING,), 3)
    two = a_read(uuid4(), 1, (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED), 3)
    assert shape_of(values_of(*one)) != shape_of(values_of(*two))


def test_a_statement_with_a_value_the_caller_does_not_pass_is_never_prepared() -> None:
    anonymous = select(appointments.c.id).where(appointments.c.version == 3)
    assert prepare(anonymous, {}, DIALECT) is None


def test_values_that_are_not_the_statement_s_own_are_refused() -> None:
    named = select(appointments.c.id).where(appointments.c.version == bindparam("v", 3))
    assert prepare(named, {"v": 4}, DIALECT) is None
    assert prepare(named, {"v": 3}, DIALECT) is not None


@pytest.mark.parametrize("ids", [[uuid4()], [uuid4(), uuid4(), uuid4()]])
def test_an_expanded_list_takes_its_items_in_order(ids: list[UUID]) -> None:
    statement = select(appointments.c.id).where(
        appointments.c.id.in_(bindparam("ids", ids, expanding=True))
    )
    prepared = prepare(statement, {"ids": ids}, DIALECT)
    assert prepared is not None
    others = [uuid4() for _ in ids]
    assert prepared.parameters({"ids": others}) == others


def test_the_page_size_is_written_into_the_text_and_serves_only_its_own_size() -> None:
    viewer, wanted, page = a_read(uuid4(), 1, (AppointmentStatus.PENDING,), 3)
    statement = page_statement(viewer, wanted, AppointmentOrder(), page, COLUMNS)
    prepared = prepare(statement, values_of(viewer, wanted, page), DIALECT)

    assert prepared is not None
    # A LIMIT sent as a parameter let PostgreSQL's generic plan start parallel workers.
    assert prepared.sql.rstrip().endswith(f"LIMIT {page.size + 1}")
    assert prepared.serves(values_of(viewer, wanted, page))
    smaller = PageRequest(size=page.size - 1, after=page.after)
    assert not prepared.serves(values_of(viewer, wanted, smaller))
