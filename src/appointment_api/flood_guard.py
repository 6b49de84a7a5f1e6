"""The flood guard: HTTP requests per client address and process, with slowapi.

It runs before anything else reads the request (no token decoded, no body parsed), so a
flood of requests costs little whatever they carry. slowapi checks its storage
synchronously, so it keeps its counters in process memory, never in Redis: this guard is
per replica. The budgets shared by every replica, charged by operation cost, are in
``rate_limits``.
"""

import threading
from collections.abc import Sequence

from limits.storage import MemoryStorage
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appointment_api.client_address import Network, connection_address, trusted_networks
from infra.config import Settings
from resolvers.errors import ErrorCode

# Expired counters are dropped this often (memory only: a counter past its window is
# reset when it is next read, whatever the sweep).
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, sweeping expired counters once a second.

    The stock one starts a new sweeping thread 10 ms after each hit while the last one is
    done, so a process under steady traffic started about a hundred threads a second,
    each taking the interpreter lock from the requests."""

    STORAGE_SCHEME = ["swept-memory"]

    # Replaces the base class's private scheduler (name-mangled), called on every hit.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


def flood_guard(settings: Settings) -> Limiter:
    trusted: Sequence[Network] = trusted_networks(settings.trusted_proxies)

    def address(request: Request) -> str:
        return connection_address(request, trusted)

    return Limiter(
        key_func=address,
        default_limits=[settings.rate_limit_requests_per_address],
        storage_uri="swept-memory://",
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
