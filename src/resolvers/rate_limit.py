"""Rate limits charged by operation cost, before any resolver runs.

The budget itself (who the caller is, where counts are kept, how HTTP hears a refusal) is a
port, implemented by the composition root.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from math import ceil
from typing import Any, Protocol

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.errors import ClientError, ErrorCode
from resolvers.query_cost import COST_RESULT_KEY


class OperationKind(StrEnum):
    """Each kind draws from a budget of its own."""

    QUERY = "query"
    MUTATION = "mutation"
    SUBSCRIPTION = "subscription"


@dataclass(frozen=True, slots=True)
class Allowance:
    allowed: bool
    # Points per window for this kind of operation.
    limit: int
    # Points left in the window; None when the counts could not be read.
    remaining: int | None
    # Whole seconds to wait before trying again; 0 when allowed.
    retry_after: int = 0


class OperationBudget(Protocol):
    async def charge(self, context: Any, kind: OperationKind, points: int) -> Allowance:
        """Charge ``points`` to the caller of this request context."""
        ...


def points_for(cost: int, cost_per_point: int) -> int:
    """What an operation of ``cost`` takes from the budget: at least 1."""
    return max(1, ceil(cost / cost_per_point))


def rate_limited(retry_after: int) -> ClientError:
    return ClientError(
        f"Rate limit exceeded: try again in {retry_after} seconds.",
        ErrorCode.RATE_LIMITED,
        retryAfter=retry_after,
    )


_KINDS = {
    OperationType.QUERY: OperationKind.QUERY,
    OperationType.MUTATION: OperationKind.MUTATION,
    OperationType.SUBSCRIPTION: OperationKind.SUBSCRIPTION,
}


class RateLimit(SchemaExtension):
    """Charges every operation to its caller, and refuses it when the budget is spent.

    Runs after ``OperationCost``: a valid operation is charged by its cost; one already
    refused (unparsable, invalid, too deep, too costly) is charged 1, so that a flood of
    refused operations ends in ``RATE_LIMITED`` too.
    """

    def __init__(self, budget: OperationBudget, *, cost_per_point: int) -> None:
        self.budget = budget
        self.cost_per_point = cost_per_point

    async def on_parse(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context
        if context.graphql_document is None and context.pre_execution_errors:
            allowance = await self._charge(OperationKind.QUERY, 1)
            if not allowance.allowed:
                # Strawberry answers with this very error object: turn it into the refusal.
                error = context.pre_execution_errors[0]
                refusal = rate_limited(allowance.retry_after)
                error.message, error.extensions = refusal.message, refusal.extensions
                error.nodes = error.source = error.positions = error.locations = None

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        refused = bool(context.pre_execution_errors)
        requested = self._report().get("requested", 0)
        points = 1 if refused else points_for(requested, self.cost_per_point)
        allowance = await self._charge(self._kind(), points)
        if not allowance.allowed:
            context.pre_execution_errors = [rate_limited(allowance.retry_after)]
        yield

    async def _charge(self, kind: OperationKind, points: int) -> Allowance:
        allowance = await self.budget.charge(self.execution_context.context, kind, points)
        report = self._report()
        report["charged"] = points
        report["limit"] = allowance.limit
        if allowance.remaining is not None:
            report["remaining"] = allowance.remaining
        if not allowance.allowed:
            report["retryAfter"] = allowance.retry_after
        return allowance

    def _report(self) -> dict[str, Any]:
        report: dict[str, Any] = self.execution_context.extensions_results.setdefault(
            COST_RESULT_KEY, {}
        )
        return report

    def _kind(self) -> OperationKind:
        try:
            return _KINDS[self.execution_context.operation_type]
        except RuntimeError:
            return OperationKind.QUERY
