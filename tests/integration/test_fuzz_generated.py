"""Operations generated over schema/schema.graphql with hostile IDs, cursors, dates, texts
and sizes, sent as every role to the app on PostgreSQL and on SQLite: each one gets an
answer, never a 5xx nor an internal error (see fuzzing.py; ``make fuzz`` sends more)."""

import random
from collections.abc import AsyncIterator

import pytest
from fuzzing import ROLES, Generator, Known, Tally, fuzz_cases, fuzz_seed, schema, send

from domain.appointments import AppointmentStatus
from graphql_client import Api, running_api
from world import node_id


async def known_rows(api: Api) -> Known:
    """A psychologist, a patient and their appointments, under the fuzzing roles' subjects."""
    psychologist = await api.world.psychologist(subject="psychologist-fuzz")
    patient = await api.world.patient(subject="patient-fuzz")
    other = await api.world.patient()
    made = [
        await api.world.appointment(psychologist, patient, status=status)
        for status in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
    ]
    made.append(await api.world.appointment(psychologist, other))
    ids = [node_id(psychologist), node_id(patient), node_id(other), *map(node_id, made)]
    return Known(tuple(ids), api.now)


@pytest.fixture
async def fuzzed(backend_url: str) -> AsyncIterator[Api]:
    """The app with its rate limits off: the fuzzing sends far more than a person would."""
    async with running_api(backend_url, rate_limits_enabled=False) as api:
        yield api


async def test_generated_hostile_operations_get_an_answer_for_every_role(fuzzed: Api) -> None:
    known = await known_rows(fuzzed)
    generator = Generator(schema(), known, random.Random(fuzz_seed()))
    tally = Tally()
    for number, (query, variables) in enumerate(generator.operations(fuzz_cases())):
        tally.add(await send(fuzzed, ROLES[number % len(ROLES)], query, variables))
    assert tally.sent == fuzz_cases()
    # The operations reach the resolvers, not only the edge's refusals.
    assert tally.answered > tally.sent // 4, tally
    print(f"generated operations: {tally}")
