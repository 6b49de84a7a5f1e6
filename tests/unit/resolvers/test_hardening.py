"""The edge's extensions on a small schema: codes, caching, suggestions, subscriptions."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from appointment_api.rate_limits import Budgets, CallerBudget, RateLimits
from domain.viewer import Role, Viewer
from resolvers.hardening import EdgePolicy, hardening_extensions
from resolvers.rate_limit import OperationBudget


@strawberry.enum
class Colour(Enum):
    GREEN = "GREEN"
    ORANGE = "ORANGE"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "you") -> str:
        return f"hello {name}"

    @strawberry.field
    def colour(self, colour: Colour) -> Colour:
        return colour


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def colours(self, colour: Colour) -> AsyncIterator[Colour]:
        yield colour


POLICY = EdgePolicy(
    max_query_length=500, max_tokens=60, max_depth=3, max_aliases=2, max_directives=2
)


def schema(policy: EdgePolicy = POLICY, budget: OperationBudget | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        extensions=hardening_extensions(policy, budget=budget),
    )


def codes(result: ExecutionResult) -> list[str]:
    return [(error.extensions or {}).get("code", "") for error in result.errors or ()]


async def test_an_over_long_query_is_refused_before_parsing_and_still_reports_its_cost() -> None:
    result = await schema().execute("{ hello }" + " " * 600)
    assert codes(result) == ["QUERY_TOO_LARGE"]
    assert result.errors is not None
    assert result.errors[0].message == "The query is longer than 500 characters."
    assert result.extensions == {"cost": {"requested": 0, "maximum": POLICY.max_cost}}


async def test_comments_count_against_the_token_limit() -> None:
    result = await schema().execute("#\n" * 70 + "{ hello }")
    assert codes(result) == ["TOO_MANY_TOKENS"]


schema_with_cache = schema()


async def test_a_syntax_error_answers_the_same_from_the_cache() -> None:
    first = await schema_with_cache.execute("{ hello(name: ) }")
    second = await schema_with_cache.execute("{ hello(name: ) }")
    assert first.errors is not None
    assert second.errors is not None
    assert first.errors[0].message == second.errors[0].message
    assert first.errors[0].message.startswith("Syntax Error: Unexpected")
    assert first.errors[0].locations == second.errors[0].locations
    assert first.errors[0].locations is not None


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ a: hello b: hello c: hello }", "TOO_MANY_ALIASES"),
        (
            "{ hello @skip(if: false) @include(if: true) h: hello @skip(if: false) }",
            "TOO_MANY_DIRECTIVES",
        ),
    ],
)
async def test_shape_limits_have_their_codes(query: str, code: str) -> None:
    assert codes(await schema().execute(query)) == [code]


async def test_valid_operations_run_and_report_their_cost() -> None:
    result = await schema().execute('{ hello(name: "edge") }')
    assert result.data == {"hello": "hello edge"}
    assert result.extensions == {"cost": {"requested": 0, "maximum": POLICY.max_cost}}


async def test_suggestions_are_kept_unless_turned_off() -> None:
    quiet = schema(EdgePolicy(suggestions=False))
    for subject in (schema(), quiet):
        typo = await subject.execute("{ helo }")
        enum_typo = await subject.execute(
            "query($c: Colour!) { colour(colour: $c) }", variable_values={"c": "GREN"}
        )
        messages = [r.errors[0].message for r in (typo, enum_typo) if r.errors]
        assert len(messages) == 2
        assert all(("Did you mean" in m) is (subject is not quiet) for m in messages), messages


async def test_introspection_is_refused_with_its_code_when_off() -> None:
    off = schema(EdgePolicy(introspection=False))
    assert codes(await off.execute("{ __schema { queryType { name } } }")) == [
        "INTROSPECTION_DISABLED"
    ]
    assert (await off.execute("{ __typename }")).data == {"__typename": "Query"}
    assert (await schema().execute("{ __schema { queryType { name } } }")).errors is None


async def first_of(stream: Any) -> ExecutionResult:
    async for result in stream:
        await stream.aclose()
        assert isinstance(result, ExecutionResult)
        return result
    raise AssertionError("the subscription yielded nothing")


async def test_a_subscription_is_refused_before_it_starts() -> None:
    refused = await first_of(
        await schema().subscribe(
            "subscription { colours(colour: GREEN) a: __typename b: __typename c: __typename }"
        )
    )
    assert isinstance(refused, PreExecutionError)
    assert codes(refused) == ["TOO_MANY_ALIASES"]


async def test_subscription_errors_lose_their_suggestions_when_turned_off() -> None:
    quiet = schema(EdgePolicy(suggestions=False))
    result = await first_of(
        await quiet.subscribe(
            "subscription($c: Colour!) { colours(colour: $c) }", variable_values={"c": "GREN"}
        )
    )
    assert result.errors is not None
    assert "Did you mean" not in result.errors[0].message


@dataclass
class Caller:
    viewer: Viewer
    request: object = None
    response: object = None


async def test_new_subscriptions_draw_from_their_own_budget() -> None:
    limits = RateLimits.in_memory(
        Budgets.parse(queries="100/minute", mutations="100/minute", subscriptions="1/minute")
    )
    guarded = schema(EdgePolicy(max_cost=50), CallerBudget(limits))
    caller = Caller(Viewer(subject="patient-1", role=Role.PATIENT))
    subscribe = "subscription { colours(colour: GREEN) }"
    try:
        accepted = await first_of(await guarded.subscribe(subscribe, context_value=caller))
        refused = await first_of(await guarded.subscribe(subscribe, context_value=caller))
        query = await guarded.execute("{ hello }", context_value=caller)
    finally:
        await limits.close()
    assert accepted.data == {"colours": "GREEN"}
    assert isinstance(refused, PreExecutionError)
    assert codes(refused) == ["RATE_LIMITED"]
    assert query.errors is None
