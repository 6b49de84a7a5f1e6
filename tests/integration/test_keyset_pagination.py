"""Keyset pages on PostgreSQL: every order both ways, every filter, stable under inserts."""

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus, AppointmentType
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    AppointmentOrderField,
    Key,
    OrderDirection,
    PageRequest,
)
from domain.people import Patient, Psychologist
from domain.viewer import Role, Viewer
from infra.db.appointment_reads import SqlAppointmentReads
from storage import save_appointments, save_people

ADMIN = Viewer("admin-1", Role.ADMIN)
ATTRIBUTE = {
    AppointmentOrderField.SCHEDULED_AT: "scheduled_at",
    AppointmentOrderField.CREATED_AT: "created_at",
    AppointmentOrderField.UPDATED_AT: "updated_at",
    AppointmentOrderField.STATUS: "status",
}


def key_of(field: AppointmentOrderField) -> Callable[[Appointment], Key]:
    def key(item: Appointment) -> Key:
        value: Any = getattr(item, ATTRIBUTE[field])
        return (value.value if field is AppointmentOrderField.STATUS else value), item.id

    return key


World = tuple[list[Psychologist], list[Patient], list[Appointment]]


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    """60 appointments with many ties on every order field, so the id tie-break matters."""
    rng = random.Random(7)
    doctors = [a_psychologist(), a_psychologist()]
    clients = [a_patient(), a_patient()]
    await save_people(engine, doctors, clients)
    made = [
        an_appointment(
            rng.choice(doctors),
            rng.choice(clients),
            scheduled_at=NOW + timedelta(days=1 + rng.randint(0, 5), hours=rng.randint(0, 3)),
            created_at=NOW - timedelta(hours=rng.randint(0, 4)),
            updated_at=NOW - timedelta(minutes=rng.randint(0, 3)),
            status=rng.choice(list(AppointmentStatus)),
            appointment_type=rng.choice(list(AppointmentType)),
        )
        for _ in range(60)
    ]
    await save_appointments(engine, made)
    return doctors, clients, made


async def _walk(
    reads: SqlAppointmentReads,
    order: AppointmentOrder,
    size: int,
    *,
    backwards: bool = False,
    wanted: AppointmentFilter | None = None,
) -> list[Appointment]:
    key = key_of(order.field)
    seen: list[Appointment] = []
    cursor: Key | None = None
    while True:
        request = (
            PageRequest(size=size, backwards=True, before=cursor)
            if backwards
            else PageRequest(size=size, after=cursor)
        )
        page = await reads.page(
            ADMIN, wanted or AppointmentFilter(), order, request, with_total=False
        )
        items = list(page.items)
        seen = items + seen if backwards else seen + items
        more = page.has_previous if backwards else page.has_next
        if not more:
            return seen
        cursor = key(items[0] if backwards else items[-1])


def _expected(made: list[Appointment], order: AppointmentOrder) -> list[Appointment]:
    return sorted(made, key=key_of(order.field), reverse=order.direction is OrderDirection.DESC)


@pytest.mark.parametrize("field", list(AppointmentOrderField))
@pytest.mark.parametrize("direction", list(OrderDirection))
async def test_walking_forward_visits_every_row_once_in_order(
    world: World,
    appointment_reads: SqlAppointmentReads,
    field: AppointmentOrderField,
    direction: OrderDirection,
) -> None:
    order = AppointmentOrder(field, direction)
    walked = await _walk(appointment_reads, order, size=7)
    assert [a.id for a in walked] == [a.id for a in _expected(world[2], order)]


@pytest.mark.parametrize("field", list(AppointmentOrderField))
@pytest.mark.parametrize("direction", list(OrderDirection))
async def test_walking_backward_from_the_end_visits_every_row_once_in_order(
    world: World,
    appointment_reads: SqlAppointmentReads,
    field: AppointmentOrderField,
    direction: OrderDirection,
) -> None:
    order = AppointmentOrder(field, direction)
    walked = await _walk(appointment_reads, order, size=9, backwards=True)
    assert [a.id for a in walked] == [a.id for a in _expected(world[2], order)]


async def test_rows_inserted_between_pages_neither_shift_nor_repeat_the_walk(
    engine: AsyncEngine, world: World, appointment_reads: SqlAppointmentReads
) -> None:
    doctors, clients, made = world
    order = AppointmentOrder()
    key = key_of(order.field)
    first = await appointment_reads.page(
        ADMIN, AppointmentFilter(), order, PageRequest(size=10), with_total=False
    )
    boundary = first.items[-1].scheduled_at
    before_cursor = an_appointment(doctors[0], clients[0], scheduled_at=NOW)
    after_cursor = an_appointment(
        doctors[0], clients[0], scheduled_at=boundary + timedelta(days=30)
    )
    await save_appointments(engine, [before_cursor, after_cursor])

    rest: list[Appointment] = []
    cursor: Key = key(first.items[-1])
    while True:
        page = await appointment_reads.page(
            ADMIN, AppointmentFilter(), order, PageRequest(size=10, after=cursor), with_total=False
        )
        rest.extend(page.items)
        if not page.has_next:
            break
        cursor = key(page.items[-1])

    walked = [a.id for a in [*first.items, *rest]]
    expected = [a.id for a in _expected([*made, after_cursor], order)]
    assert walked == expected
    assert before_cursor.id not in walked


FILTERS: dict[str, Callable[[World], tuple[AppointmentFilter, Callable[[Appointment], bool]]]] = {
    "patient": lambda w: (
        AppointmentFilter(patient_id=w[1][0].id),
        lambda a: a.patient_id == w[1][0].id,
    ),
    "psychologist": lambda w: (
        AppointmentFilter(psychologist_id=w[0][1].id),
        lambda a: a.psychologist_id == w[0][1].id,
    ),
    "statuses": lambda w: (
        AppointmentFilter(statuses=(AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)),
        lambda a: a.status in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED),
    ),
    "types": lambda w: (
        AppointmentFilter(appointment_types=(AppointmentType.EMERGENCY,)),
        lambda a: a.appointment_type is AppointmentType.EMERGENCY,
    ),
    "window": lambda w: (
        AppointmentFilter(
            scheduled_from=NOW + timedelta(days=2), scheduled_to=NOW + timedelta(days=4)
        ),
        lambda a: NOW + timedelta(days=2) <= a.scheduled_at < NOW + timedelta(days=4),
    ),
    "combined": lambda w: (
        AppointmentFilter(
            psychologist_id=w[0][0].id,
            statuses=(AppointmentStatus.CANCELLED,),
            scheduled_from=NOW + timedelta(days=3),
        ),
        lambda a: (
            a.psychologist_id == w[0][0].id
            and a.status is AppointmentStatus.CANCELLED
            and a.scheduled_at >= NOW + timedelta(days=3)
        ),
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
async def test_every_filter_returns_exactly_the_matching_rows_with_their_count(
    world: World, appointment_reads: SqlAppointmentReads, name: str
) -> None:
    wanted, matches = FILTERS[name](world)
    order = AppointmentOrder(AppointmentOrderField.UPDATED_AT, OrderDirection.DESC)
    walked = await _walk(appointment_reads, order, size=4, wanted=wanted)
    expected = _expected([a for a in world[2] if matches(a)], order)
    assert expected, "the fixture must hold rows for every filter"
    assert [a.id for a in walked] == [a.id for a in expected]

    counted = await appointment_reads.page(
        ADMIN, wanted, order, PageRequest(size=1), with_total=True
    )
    assert counted.total == len(expected)


async def test_scoping_shows_a_patient_only_their_own_and_a_psychologist_only_their_schedule(
    world: World, appointment_reads: SqlAppointmentReads
) -> None:
    doctors, clients, made = world
    patient_view = Viewer(str(clients[0].subject), Role.PATIENT)
    doctor_view = Viewer(str(doctors[1].subject), Role.PSYCHOLOGIST)
    everyone = AppointmentFilter()
    request = PageRequest(size=100)

    mine = await appointment_reads.page(
        patient_view, everyone, AppointmentOrder(), request, with_total=True
    )
    schedule = await appointment_reads.page(
        doctor_view, everyone, AppointmentOrder(), request, with_total=True
    )
    stranger = await appointment_reads.page(
        Viewer("nobody", Role.PATIENT), everyone, AppointmentOrder(), request, with_total=True
    )

    assert {a.id for a in mine.items} == {a.id for a in made if a.patient_id == clients[0].id}
    assert {a.id for a in schedule.items} == {
        a.id for a in made if a.psychologist_id == doctors[1].id
    }
    assert mine.total == len(mine.items)
    assert schedule.total == len(schedule.items)
    assert list(stranger.items) == []
    assert stranger.total == 0
