"""The flood guard: HTTP requests per client address and process, with slowapi.

It runs before anything else reads the request (no token decoded, no body parsed), so a
flood of requests costs little whatever they carry. slowapi checks its storage
synchronously, so it keeps its counters in process memory, never in Redis: this guard is
per replica. The budgets shared by every replica, charged by operation cost, are in
``rate_limits``.
"""

from collections.abc import Sequence

from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appointment_api.client_address import Network, connection_address, trusted_networks
from infra.config import Settings
from resolvers.errors import ErrorCode


def flood_guard(settings: Settings) -> Limiter:
    trusted: Sequence[Network] = trusted_networks(settings.trusted_proxies)

    def address(request: Request) -> str:
        return connection_address(request, trusted)

    return Limiter(
        key_func=address,
        default_limits=[settings.rate_limit_requests_per_address],
        storage_uri="memory://",
        enabled=settings.rate_limits_enabled,
        key_prefix="flood",
    )


def flood_refusal(_: Request, error: Exception) -> Response:
    assert isinstance(error, RateLimitExceeded)
    window = error.limit.limit.get_expiry() if error.limit is not None else 60
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": "Too many requests from this address; retry later.",
                    "extensions": {"code": ErrorCode.RATE_LIMITED.value, "retryAfter": window},
                }
            ],
        },
        status_code=429,
        headers={"Retry-After": str(window)},
    )
