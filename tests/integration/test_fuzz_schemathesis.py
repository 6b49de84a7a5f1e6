"""Schemathesis's GraphQL mode over schema/schema.graphql: the operations it generates (every
root field, arguments from the schema's types, hostile scalars registered below) are sent
as every role to the app on PostgreSQL and on SQLite; each one gets an answer, never a 5xx
nor an internal error. ``FUZZ_CASES`` sets how many (``make fuzz`` sends more)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fuzzing import (
    HOSTILE_CURSORS,
    HOSTILE_DATES,
    HOSTILE_TEXT,
    ROLES,
    SCHEMA_FILE,
    Tally,
    fuzz_cases,
    fuzz_seed,
    send,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from graphql_client import Api, running_api
from world import node_id


def hostile_scalars(ids: list[str]) -> None:
    """Strategies for the schema's own scalars, and hostile values for the standard ones."""
    instants = st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat())
    schemathesis.graphql.scalar(
        "DateTime", st.one_of(st.sampled_from(HOSTILE_DATES), instants).map(nodes.String)
    )
    schemathesis.graphql.scalar(
        "Date",
        st.one_of(st.dates().map(str), st.sampled_from(("x", "2030-02-30"))).map(nodes.String),
    )
    schemathesis.graphql.scalar(
        "Time", st.one_of(st.times().map(str), st.just("24:00")).map(nodes.String)
    )
    schemathesis.graphql.scalar(
        "Decimal",
        st.one_of(st.decimals(allow_nan=True).map(str), st.just("1e400")).map(nodes.String),
    )
    schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(nodes.String))
    schemathesis.graphql.scalar(
        "ID", st.one_of(st.sampled_from(ids), st.text(max_size=30)).map(nodes.String)
    )
    schemathesis.graphql.scalar(
        "String",
        st.one_of(st.sampled_from((*HOSTILE_TEXT, *HOSTILE_CURSORS)), st.text(max_size=40)).map(
            nodes.String
        ),
    )
    schemathesis.graphql.scalar(
        "Int", st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int)
    )


def generated(count: int) -> list[str]:
    """``count`` operations schemathesis generates over the committed schema."""
    schema = schemathesis.graphql.from_path(SCHEMA_FILE)
    queries: list[str] = []

    @seed(fuzz_seed())
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def collect(case: Any) -> None:
        queries.append(case.body if isinstance(case.body, str) else case.body["query"])

    collect()
    return queries


@pytest.fixture
async def fuzzed(backend_url: str) -> AsyncIterator[Api]:
    async with running_api(backend_url, rate_limits_enabled=False) as api:
        yield api


async def test_schemathesis_operations_get_an_answer_for_every_role(fuzzed: Api) -> None:
    psychologist = await fuzzed.world.psychologist(subject="psychologist-fuzz")
    patient = await fuzzed.world.patient(subject="patient-fuzz")
    appointment = await fuzzed.world.appointment(psychologist, patient)
    hostile_scalars([node_id(psychologist), node_id(patient), node_id(appointment)])
    queries = await asyncio.to_thread(generated, fuzz_cases())
    tally = Tally()
    for number, query in enumerate(queries):
        tally.add(await send(fuzzed, ROLES[number % len(ROLES)], query, None))
    assert tally.sent >= fuzz_cases() // 2, tally
    print(f"schemathesis operations: {tally}")
