"""Compiled reads answer byte for byte what the executor answers.

Two apps share one database: one compiles the queries it can, the other runs every operation
on the executor (``compiled_reads=False``). Each operation of the corpus, and operations
generated from the schema, go to both with the same request id; the status and the body's
bytes must be the same. /metrics then shows that the compiled path served most of them.
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from compiled_corpus import (
    APPOINTMENT_LEAVES,
    PATIENT_LEAVES,
    PSYCHOLOGIST_LEAVES,
    Operation,
    World,
    operations,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.appointments import AppointmentStatus, AppointmentType, MeetingType
from graphql_client import Api, running_api
from resolvers.node_ids import to_global_id

# A budget whose window no test outlasts: both apps report the same points remaining.
UNLIMITED = {"rate_limit_queries": "1000000/day"}
ORDER_NAMES = ("SCHEDULED_AT", "CREATED_AT", "UPDATED_AT", "STATUS")


@dataclass
class Pair:
    compiled: Api
    executor: Api
    world: World

    async def answers(self, operation: Operation, number: int) -> tuple[Any, Any]:
        found = []
        for api in (self.compiled, self.executor):
            headers = {"X-Request-ID": f"corpus-{number}"}
            if operation.as_ is not None:
                headers["Authorization"] = f"Bearer {api.token(*operation.as_)}"
            response = await api.client.post(
                "/graphql",
                json={"query": operation.query, "variables": operation.variables},
                headers=headers,
            )
            found.append((response.status_code, response.content))
        return found[0], found[1]

    async def served(self) -> dict[str, float]:
        text = (await self.compiled.client.get("/metrics")).text
        return {
            path: float(count)
            for path, count in re.findall(r'graphql_executions_total\{path="(\w+)"\} (\S+)', text)
        }


async def _seed(api: Api) -> World:
    world = api.world
    psychologists = await world.psychologists(3)
    patients = await world.patients(4)
    statuses = list(AppointmentStatus)
    types = list(AppointmentType)
    meetings = list(MeetingType)
    made = []
    for number in range(36):
        psychologist = psychologists[number % 3]
        patient = patients[number % 4]
        # Every third start is shared with another psychologist's: ties broken by id.
        start = api.now + timedelta(hours=72 + (number // 3) * 5 + number % 3 * (number % 2))
        extra: dict[str, Any] = {
            "appointment_type": types[number % len(types)],
            "meeting_type": meetings[number % len(meetings)],
            "is_paid": number % 4 == 0,
        }
        if number % 5 == 0:
            extra["notes"] = f'note {number} with ünïcode and "quotes"'
        if number % 7 == 0:
            extra["meeting_url"] = f"https://meet.example/{number}"
        if number % 6 == 0:
            extra["late_cancellation"] = True
            extra["cancellation_fee"] = Decimal("37.50")
            extra["amount_paid"] = Decimal("12.00")
        made += await world.appointments(
            psychologist, patient, [start], statuses[number % len(statuses)], **extra
        )
    window = (api.now + timedelta(hours=60), api.now + timedelta(hours=72 + 40))
    return World(
        psychologist_ids=[to_global_id("Psychologist", p.id) for p in psychologists],
        patient_ids=[to_global_id("Patient", p.id) for p in patients],
        appointment_ids=[to_global_id("Appointment", a.id) for a in made],
        window=window,
        roles=[
            ("admin", "admin-1"),
            ("psychologist", psychologists[0].subject or ""),
            ("patient", patients[0].subject or ""),
            ("patient", "patient-with-no-row"),
            None,
        ],
    )


@pytest.fixture
async def pair(backend_url: str) -> AsyncIterator[Pair]:
    async with (
        running_api(backend_url, **UNLIMITED) as compiled,
        running_api(backend_url, compiled_reads=False, **UNLIMITED) as executor,
    ):
        yield Pair(compiled, executor, await _seed(compiled))


async def _cursors(pair: Pair) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for name in ORDER_NAMES:
        for direction in ("ASC", "DESC"):
            body = await pair.executor.query(
                "query($o: AppointmentOrder) { appointments(first: 6, orderBy: $o) "
                "{ edges { cursor } } }",
                o={"field": name, "direction": direction},
                # A caller of its own: the corpus' callers have the same budgets on both apps.
                as_=("admin", "admin-cursors"),
            )
            edges = body["data"]["appointments"]["edges"]
            found[f"{name}:{direction}"] = (edges[1]["cursor"], edges[4]["cursor"])
    return found


async def test_the_corpus_is_answered_the_same_by_both_paths(pair: Pair) -> None:
    corpus = list(operations(pair.world, await _cursors(pair)))
    assert len(corpus) >= 300
    different = []
    for number, operation in enumerate(corpus):
        compiled, executed = await pair.answers(operation, number)
        if compiled != executed:
            different.append((operation.label, operation.query, compiled, executed))
    assert not different, f"{len(different)} differ, first: {different[0]}"
    served = await pair.served()
    # Most of the corpus is compiled; the rest (and every refusal) is the executor's.
    assert served.get("compiled", 0) >= len(corpus) / 3, served
    assert served.get("executor", 0) > 0, served


@st.composite
def generated(draw: st.DrawFn, world: World) -> Operation:
    """An appointments query drawn from the schema's fields and arguments."""

    def subset(names: str) -> str:
        fields = names.split()
        chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields)))
        parts = []
        for name in chosen:
            alias = draw(st.sampled_from(["", "", f"{name}Alias: "]))
            parts.append(f"{alias}{name}")
        return " ".join(parts)

    node = subset(APPOINTMENT_LEAVES)
    if draw(st.booleans()):
        node += f" patient {{ {subset(PATIENT_LEAVES)} }}"
    if draw(st.booleans()):
        node += f" psychologist {{ {subset(PSYCHOLOGIST_LEAVES)} }}"
    wrapper = draw(st.sampled_from(["edges", "nodes", "both"]))
    selection = {
        "edges": f"edges {{ cursor node {{ {node} }} }}",
        "nodes": f"nodes {{ {node} }}",
        "both": f"nodes {{ id }} edges {{ node {{ {node} }} }}",
    }[wrapper]
    if draw(st.booleans()):
        selection += " pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
    if draw(st.booleans()):
        selection += " totalCount"
    arguments: dict[str, Any] = {}
    size = draw(st.sampled_from(["first", "last", None]))
    if size is not None:
        arguments[size] = draw(st.integers(min_value=0, max_value=40))
    filter_: dict[str, Any] = {}
    if draw(st.booleans()):
        filter_["status"] = draw(st.lists(st.sampled_from([s.value for s in AppointmentStatus])))
    if draw(st.booleans()):
        filter_["psychologistId"] = draw(st.sampled_from(world.psychologist_ids))
    if draw(st.booleans()):
        filter_["isPaid"] = draw(st.booleans())
    if filter_:
        arguments["filter"] = filter_
    if draw(st.booleans()):
        arguments["orderBy"] = {
            "field": draw(st.sampled_from(ORDER_NAMES)),
            "direction": draw(st.sampled_from(["ASC", "DESC"])),
        }
    query = (
        "query Generated($args_first: Int, $args_last: Int, $args_filter: AppointmentFilter,"
        " $args_orderBy: AppointmentOrder) { appointments(first: $args_first, "
        "last: $args_last, filter: $args_filter, orderBy: $args_orderBy) { "
        f"{selection} }} }}"
    )
    variables = {f"args_{name}": value for name, value in arguments.items()}
    as_ = draw(st.sampled_from(world.roles))
    return Operation("generated", query, variables, as_)


@pytest.fixture
async def generated_pair(pair: Pair) -> Pair:
    return pair


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_operations_generated_from_the_schema_are_answered_the_same(
    generated_pair: Pair, data: st.DataObject
) -> None:
    operation = data.draw(generated(generated_pair.world))
    compiled, executed = await generated_pair.answers(operation, 0)
    assert compiled == executed, (operation, compiled, executed)


async def test_the_reads_the_compiler_covers_are_served_compiled(pair: Pair) -> None:
    appointment = pair.world.appointment_ids[0]
    covered = [
        ("{ appointments(first: 20) { edges { node { id patient { name } } } } }", {}),
        (
            "query($id: ID!) { appointment(id: $id) { id status psychologist { name } } }",
            {"id": appointment},
        ),
        (
            "query($id: ID!) { node(id: $id) { id ... on Appointment { endsAt } } }",
            {"id": appointment},
        ),
        ("{ a: appointments(last: 2) { totalCount } __typename }", {}),
        (
            "query($id: ID!) { psychologist(id: $id) { name appointments(first: 3) { totalCount "
            "nodes { id patient { name } } } later: appointments(last: 1) { nodes { id } } } }",
            {"id": pair.world.psychologist_ids[0]},
        ),
    ]
    not_covered = [
        ("{ viewer { role } }", {}),
        ("{ appointments { nodes { amountDue } } }", {}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": pair.world.psychologist_ids[0]}),
        ("{ appointments(first: 101) { totalCount } }", {}),
    ]
    before = await pair.served()
    for query, variables in covered + not_covered:
        body = await pair.compiled.query(query, **variables)
        assert "data" in body, body
    after = await pair.served()
    assert after.get("compiled", 0) - before.get("compiled", 0) == len(covered), after
    assert after.get("executor", 0) - before.get("executor", 0) == len(not_covered), after
