"""The OWASP GraphQL Cheat Sheet items that apply, on the real schema and a real database.

Each abusive operation is refused with its own ``extensions.code`` before any resolver
runs: not one SQL statement reaches PostgreSQL. A normal operation, run the same way, does
reach it (so the counting can fail), and reports its cost.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import ExecutionResult

from appointment_api.bootstrap import Resources, build_resources, build_services
from appointment_api.edge import edge_policy
from appointment_api.rate_limits import Budgets, CallerBudget, RateLimits
from domain.viewer import Role, Viewer
from graphql_client import SECRET, listen_to_statements
from infra.config import Settings
from resolvers.context import Context, Services
from resolvers.hardening import EdgePolicy, hardening_extensions
from resolvers.rate_limit import OperationBudget
from resolvers.schema import build_schema
from world import World, hours_from

NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
ADMIN = Viewer(subject="admin-1", role=Role.ADMIN)
# Refusals are cheap: far below this even on a loaded machine.


def hardened_schema(policy: EdgePolicy, budget: OperationBudget | None = None) -> strawberry.Schema:
    return build_schema(edge=hardening_extensions(policy, budget=budget))


@dataclass
class Edge:
    resources: Resources
    services: Services
    statements: list[str]

    async def run(
        self,
        schema: strawberry.Schema,
        query: str,
        *,
        viewer: Viewer | None = ADMIN,
        variables: dict[str, Any] | None = None,
        response: Response | None = None,
    ) -> ExecutionResult:
        request = Request(
            {
                "type": "http",
                "method": "POST",
                "path": "/graphql",
                "headers": [],
                "client": ("203.0.113.9", 50000),
            }
        )
        context = Context(
            request=request,
            response=response if response is not None else Response(),
            services=self.services,
            viewer=viewer,
            request_id="edge-test",
        )
        return await schema.execute(query, variable_values=variables, context_value=context)


@pytest.fixture
async def edge(database_url: str) -> AsyncIterator[Edge]:
    settings = Settings(database_url=database_url, jwt_secret=SECRET)  # type: ignore[arg-type]
    resources = build_resources(settings, clock=lambda: NOW)
    statements: list[str] = []
    listen_to_statements(resources, statements.append)
    try:
        yield Edge(resources, build_services(resources), statements)
    finally:
        await resources.close()


PRODUCTION = edge_policy(
    Settings(app_env="production", jwt_secret=SECRET, metrics_port=9100)  # type: ignore[arg-type]
)


@pytest.fixture(scope="module")
def production() -> strawberry.Schema:
    return hardened_schema(PRODUCTION)


def codes(result: ExecutionResult) -> list[str]:
    return [(error.extensions or {}).get("code", "") for error in result.errors or ()]


def nested_fields(levels: int) -> str:
    """A valid selection ``levels`` deep: patient → appointments → nodes → patient → ..."""
    opening = "viewer { patient { " + "appointments { nodes { patient { " * (levels // 3)
    return "{ " + opening + "name" + " }" * (2 + 3 * (levels // 3)) + " }"


ABUSE = {
    "depth 50": (nested_fields(50), "QUERY_TOO_DEEP"),
    "1,000 aliases": (
        "{ " + " ".join(f"a{n}: __typename" for n in range(1000)) + " }",
        "TOO_MANY_TOKENS",
    ),
    "31 aliases": (
        "{ " + " ".join(f"a{n}: viewer {{ subject }}" for n in range(31)) + " }",
        "TOO_MANY_ALIASES",
    ),
    "a 1 MB query": ("{ viewer { subject } }" + " " * 1_000_000, "QUERY_TOO_LARGE"),
    "nesting the parser cannot follow": ("{ a" * 300 + " }" * 300, "QUERY_TOO_DEEP"),
    "circular fragments": (
        "{ viewer { ...A } } fragment A on Viewer { subject ...B }"
        " fragment B on Viewer { role ...A }",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "directive overloading": (
        "{ viewer " + "@include(if: true) " * 100 + "{ subject } }",
        "TOO_MANY_DIRECTIVES",
    ),
    "unknown directives": ("{ viewer " + "@aa " * 100 + "{ subject } }", "TOO_MANY_DIRECTIVES"),
    "introspection in production": ("{ __schema { types { name } } }", "INTROSPECTION_DISABLED"),
    "a type lookup in production": (
        '{ __type(name: "Patient") { name } }',
        "INTROSPECTION_DISABLED",
    ),
    "nested connections over the cost": (
        "{ psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } } }",
        "QUERY_TOO_COSTLY",
    ),
    "a fragment bomb": (
        # Each level spreads the next three times: 3**10 aliased fields once expanded.
        "{ viewer { ...F0 } } "
        + " ".join(f"fragment F{i} on Viewer {{ {f'...F{i + 1} ' * 3}}}" for i in range(10))
        + " fragment F10 on Viewer { s: subject }",
        "TOO_MANY_ALIASES",
    ),
}


@pytest.mark.parametrize("name", list(ABUSE))
async def test_abuse_is_refused_with_its_code_before_the_database(
    edge: Edge, production: strawberry.Schema, name: str
) -> None:
    query, code = ABUSE[name]
    # How cheap a refusal is, bench/edge measures; here: refused, and no SQL ran.
    result = await edge.run(production, query)
    assert codes(result)[:1] == [code], result.errors
    assert result.data is None
    assert edge.statements == []


async def test_a_normal_query_reaches_the_database_and_reports_its_cost(
    edge: Edge, production: strawberry.Schema
) -> None:
    world = World(edge.resources.engine, NOW)
    psychologist, patient = await world.psychologist(), await world.patient()
    await world.appointments(psychologist, patient, [hours_from(NOW, 72 + n) for n in range(6)])
    edge.statements.clear()
    result = await edge.run(production, "{ appointments(first: 5) { nodes { id status } } }")
    assert result.errors is None
    assert result.data is not None
    assert len(result.data["appointments"]["nodes"]) == 5
    assert edge.statements
    assert result.extensions == {"cost": {"requested": 1 + 5, "maximum": PRODUCTION.max_cost}}


async def test_typename_still_answers_in_production(
    edge: Edge, production: strawberry.Schema
) -> None:
    result = await edge.run(production, "{ __typename }", viewer=None)
    assert result.errors is None
    assert result.data == {"__typename": "Query"}


async def test_suggestions_are_withheld_in_production(
    edge: Edge, production: strawberry.Schema
) -> None:
    typo = await edge.run(production, "{ viewer { subjet } }")
    enum_typo = await edge.run(
        production,
        "query($s: [AppointmentStatus!]) { appointments(filter: {status: $s}) { nodes { id } } }",
        variables={"s": ["PENDNG"]},
    )
    assert codes(typo) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(enum_typo) == ["BAD_USER_INPUT"]
    for result in (typo, enum_typo):
        assert result.errors is not None
        assert "Did you mean" not in result.errors[0].message
        assert "subject" not in result.errors[0].message
        assert "PENDING" not in result.errors[0].message
    assert edge.statements == []


async def test_development_keeps_suggestions_and_introspection(edge: Edge) -> None:
    development = hardened_schema(edge_policy(Settings(jwt_secret=SECRET)))  # type: ignore[arg-type]
    typo = await edge.run(development, "{ viewer { subjet } }")
    assert typo.errors is not None
    assert "Did you mean 'subject'?" in typo.errors[0].message
    introspection = await edge.run(development, "{ __schema { queryType { name } } }")
    assert introspection.errors is None


@pytest.fixture
async def limits() -> AsyncIterator[RateLimits]:
    limits = RateLimits.in_memory(
        # Hour-long windows: a test that straddles the start of a window (they are aligned
        # on the clock) still sees its earlier operations counted in full.
        Budgets.parse(queries="5/hour", mutations="5/hour", subscriptions="5/hour")
    )
    try:
        yield limits
    finally:
        await limits.close()


async def test_a_viewer_over_budget_is_refused_with_429_while_another_is_not(
    edge: Edge, limits: RateLimits
) -> None:
    schema = hardened_schema(PRODUCTION, CallerBudget(limits))
    small = "{ viewer { subject } }"
    for _ in range(5):
        assert (await edge.run(schema, small)).errors is None
    response = Response()
    edge.statements.clear()

    refused = await edge.run(schema, small, response=response)

    assert codes(refused) == ["RATE_LIMITED"]
    assert edge.statements == []
    retry_after = refused.errors[0].extensions["retryAfter"]  # type: ignore[index]
    assert 1 <= retry_after <= 3600
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(retry_after)
    assert refused.extensions is not None
    assert refused.extensions["cost"]["remaining"] == 0

    other = Viewer(subject="patient-1", role=Role.PATIENT)
    assert (await edge.run(schema, small, viewer=other)).errors is None


async def test_the_charge_follows_the_cost(edge: Edge, limits: RateLimits) -> None:
    schema = hardened_schema(PRODUCTION, CallerBudget(limits))
    page = "{ appointments(first: 100) { nodes { id patient { name } psychologist { name } } } }"

    first = await edge.run(schema, page)
    assert first.extensions == {
        "cost": {"requested": 301, "maximum": 5000, "charged": 4, "limit": 5, "remaining": 1}
    }
    second = await edge.run(schema, page)
    assert codes(second) == ["RATE_LIMITED"]
    assert (await edge.run(schema, "{ viewer { subject } }")).errors is None


async def test_refused_operations_are_charged_too(edge: Edge, limits: RateLimits) -> None:
    schema = hardened_schema(PRODUCTION, CallerBudget(limits))
    refusals = ["{ viewer { subjet } }", "{ viewer {", nested_fields(50)] * 2
    results = [await edge.run(schema, query) for query in refusals]
    assert [codes(result)[0] for result in results[:5]] == [
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "QUERY_TOO_DEEP",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
    ]
    assert codes(results[5]) == ["RATE_LIMITED"]
    unparsable = await edge.run(schema, "{ viewer {")
    assert codes(unparsable) == ["RATE_LIMITED"]


async def test_anonymous_callers_share_the_budget_of_their_address(
    edge: Edge, limits: RateLimits
) -> None:
    schema = hardened_schema(PRODUCTION, CallerBudget(limits))
    for _ in range(5):
        assert codes(await edge.run(schema, "{ viewer { subject } }", viewer=None)) == [
            "UNAUTHENTICATED"
        ]
    assert codes(await edge.run(schema, "{ __typename }", viewer=None)) == ["RATE_LIMITED"]
