"""Rate limits per caller: in memory, and in a real Redis shared by two replicas."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from starlette.requests import Request
from starlette.responses import Response

from appointment_api.client_address import trusted_networks
from appointment_api.rate_limits import Budgets, CallerBudget, RateLimits
from domain.viewer import Role, Viewer
from resolvers.rate_limit import OperationKind
from support.services import RedisServer

# Hour-long windows: a test that straddles the start of a window (they are aligned on the
# clock) still sees its earlier operations counted in full.
BUDGETS = Budgets.parse(queries="5/hour", mutations="2/hour", subscriptions="1/hour")
QUERY, MUTATION = OperationKind.QUERY, OperationKind.MUTATION


def caller() -> str:
    return f"subject:{uuid.uuid4()}"


@pytest.fixture
async def memory_limits() -> AsyncIterator[RateLimits]:
    limits = RateLimits.in_memory(BUDGETS)
    try:
        yield limits
    finally:
        await limits.close()


@pytest.fixture
async def replicas(redis_url: str) -> AsyncIterator[tuple[RateLimits, RateLimits]]:
    """Two limiters on the same Redis: what two API replicas hold."""
    first, second = RateLimits.on_redis(redis_url, BUDGETS), RateLimits.on_redis(redis_url, BUDGETS)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_caller_over_budget_is_refused_while_another_is_not(
    memory_limits: RateLimits,
) -> None:
    greedy, modest = caller(), caller()
    assert (await memory_limits.charge(greedy, QUERY, 4)).allowed
    refused = await memory_limits.charge(greedy, QUERY, 2)
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 3600
    assert refused.limit == 5

    other = await memory_limits.charge(modest, QUERY, 2)
    assert other.allowed
    assert other.remaining == 3


async def test_a_refused_charge_takes_nothing(memory_limits: RateLimits) -> None:
    who = caller()
    await memory_limits.charge(who, QUERY, 4)
    assert not (await memory_limits.charge(who, QUERY, 5)).allowed
    last = await memory_limits.charge(who, QUERY, 1)
    assert last.allowed
    assert last.remaining == 0


async def test_each_kind_of_operation_has_its_own_budget(memory_limits: RateLimits) -> None:
    who = caller()
    assert (await memory_limits.charge(who, MUTATION, 2)).allowed
    assert not (await memory_limits.charge(who, MUTATION, 1)).allowed
    assert (await memory_limits.charge(who, QUERY, 5)).allowed
    assert (await memory_limits.charge(who, OperationKind.SUBSCRIPTION, 1)).allowed
    assert not (await memory_limits.charge(who, OperationKind.SUBSCRIPTION, 1)).allowed


async def test_two_replicas_on_one_redis_share_each_budget(
    replicas: tuple[RateLimits, RateLimits],
) -> None:
    first, second = replicas
    who, other = caller(), caller()
    assert (await first.charge(who, QUERY, 3)).allowed
    shared = await second.charge(who, QUERY, 2)
    assert shared.allowed
    assert shared.remaining == 0
    refused = await first.charge(who, QUERY, 1)
    assert not refused.allowed
    assert refused.retry_after >= 1
    assert not (await second.charge(who, QUERY, 1)).allowed
    assert (await second.charge(other, QUERY, 5)).allowed


async def test_when_redis_is_down_operations_are_let_through(
    redis_server: RedisServer, replicas: tuple[RateLimits, RateLimits]
) -> None:
    first, _ = replicas
    who = caller()
    assert (await first.charge(who, QUERY, 5)).allowed
    with redis_server.stopped():
        unmetered = await first.charge(who, QUERY, 5)
    assert unmetered.allowed
    assert unmetered.remaining is None
    # Counting resumes with Redis (a fresh one: the test server keeps nothing on disk).
    assert (await first.charge(who, QUERY, 5)).allowed
    assert not (await first.charge(who, QUERY, 1)).allowed


def request(peer: str, *headers: tuple[bytes, bytes]) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": list(headers),
        "client": (peer, 50000),
    }
    return Request(scope)


@dataclass
class RequestContext:
    """What the budget reads from a request's context."""

    request: Request
    response: Response | None = None
    viewer: Viewer | None = None


async def test_the_caller_is_the_subject_else_the_client_address(
    memory_limits: RateLimits,
) -> None:
    budget = CallerBudget(memory_limits, trusted_networks(["10.0.0.0/8"]))
    viewer = Viewer(subject="patient-7", role=Role.PATIENT)
    forwarded = (b"x-forwarded-for", b"6.6.6.6, 198.51.100.7")

    assert budget.caller_of(RequestContext(request("10.0.0.1"), viewer=viewer)) == (
        "subject:patient-7"
    )
    assert budget.caller_of(RequestContext(request("10.0.0.1", forwarded))) == (
        "address:198.51.100.7"
    )
    assert budget.caller_of(RequestContext(request("203.0.113.9", forwarded))) == (
        "address:203.0.113.9"
    )


async def test_an_http_refusal_answers_429_with_retry_after(memory_limits: RateLimits) -> None:
    budget = CallerBudget(memory_limits)
    response = Response()
    context = RequestContext(request("203.0.113.9"), response)
    assert (await budget.charge(context, MUTATION, 2)).allowed
    assert response.status_code == 200
    refused = await budget.charge(context, MUTATION, 1)
    assert not refused.allowed
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(refused.retry_after)
