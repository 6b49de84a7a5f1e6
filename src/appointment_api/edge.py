"""The edge, from the settings: document limits, cost, rate limits and transport refusals."""

from appointment_api.http_caching import PublicAnswers
from appointment_api.rate_limits import CallerBudget, RateLimits, rate_limits_for
from appointment_api.request_budget import connection_budget_extension
from infra.config import Settings
from resolvers.errors import ErrorCode
from resolvers.hardening import EdgePolicy, ExtensionFactory, hardening_extensions


def edge_policy(settings: Settings) -> EdgePolicy:
    return EdgePolicy(
        max_query_length=settings.max_query_length,
        max_tokens=settings.max_tokens,
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_directives=settings.max_directives,
        max_cost=settings.max_query_cost,
        cost_per_point=settings.rate_limit_cost_per_point,
        introspection=settings.introspection_on,
        suggestions=settings.suggestions_on,
    )


def edge_rate_limits(settings: Settings) -> RateLimits | None:
    """The API's rate limits, None when turned off; the caller closes them."""
    return rate_limits_for(settings) if settings.rate_limits_enabled else None


def edge_extensions(settings: Settings, rate_limits: RateLimits | None) -> list[ExtensionFactory]:
    budget = None if rate_limits is None else CallerBudget.from_settings(rate_limits, settings)
    return [
        *hardening_extensions(edge_policy(settings), budget=budget),
        connection_budget_extension(settings.database_connections_per_request),
        PublicAnswers,
    ]


# Strawberry refuses these before any operation starts, with these reasons.
_TRANSPORT_REFUSALS = {
    "Batching is not enabled": ErrorCode.BATCHING_NOT_ALLOWED,
    "Too many operations": ErrorCode.BATCHING_NOT_ALLOWED,
}


def transport_refusal_code(reason: str) -> ErrorCode:
    return _TRANSPORT_REFUSALS.get(reason, ErrorCode.BAD_REQUEST)
