"""Rate limits per caller and kind of operation, charged in points by operation cost.

The engine is the ``limits`` library (the one under slowapi), used directly: slowapi charges
per route and per request, while one GraphQL route carries operations of every cost.

- Callers: ``subject:<JWT sub>`` when the token is valid, else ``address:<client address>``.
- Budgets: queries, mutations and new subscriptions each have their own window.
- Storage: Redis when configured, so that every replica draws from the same budget;
  process memory otherwise (the embedded mode).
- A storage failure lets the operation through and is logged: losing the limiter must not
  take the API down with it.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from starlette.requests import HTTPConnection
from starlette.responses import Response

from appointment_api.client_address import Network, connection_address, trusted_networks
from domain.viewer import Viewer
from infra.config import Settings
from resolvers.rate_limit import Allowance, OperationKind

log = logging.getLogger("appointment_api.rate_limits")

KEY_PREFIX = "appointment-api:rate"
# The limiter must answer quickly or not at all: a slow Redis would slow every request.
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Budgets:
    queries: RateLimitItem
    mutations: RateLimitItem
    subscriptions: RateLimitItem

    @classmethod
    def parse(cls, *, queries: str, mutations: str, subscriptions: str) -> "Budgets":
        return cls(parse(queries), parse(mutations), parse(subscriptions))

    @classmethod
    def from_settings(cls, settings: Settings) -> "Budgets":
        return cls.parse(
            queries=settings.rate_limit_queries,
            mutations=settings.rate_limit_mutations,
            subscriptions=settings.rate_limit_subscriptions,
        )

    def of(self, kind: OperationKind) -> RateLimitItem:
        if kind is OperationKind.MUTATION:
            return self.mutations
        if kind is OperationKind.SUBSCRIPTION:
            return self.subscriptions
        return self.queries


class RateLimits:
    """Budgets per caller, in a storage shared by whoever uses the same one."""

    def __init__(
        self,
        storage: Storage,
        budgets: Budgets,
        *,
        clock: Callable[[], float] = time.time,
        on_close: Callable[[], Any] | None = None,
    ) -> None:
        self._storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._budgets = budgets
        self._clock = clock
        self._on_close = on_close

    @classmethod
    def in_memory(cls, budgets: Budgets) -> "RateLimits":
        return cls(MemoryStorage(wrap_exceptions=True), budgets)

    @classmethod
    def on_redis(cls, url: str, budgets: Budgets) -> "RateLimits":
        """Counts in Redis at ``url`` (redis:// or rediss://); connects on first use."""
        pool = ConnectionPool.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        # The pool is ours, so that closing the limiter closes its connections.
        options: dict[str, Any] = {"connection_pool": pool}
        storage = RedisStorage(
            f"async+{url}",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            **options,
        )
        return cls(storage, budgets, on_close=pool.aclose)

    async def charge(self, caller: str, kind: OperationKind, points: int) -> Allowance:
        """Take ``points`` from ``caller``'s budget for ``kind``, or say when to come back."""
        budget = self._budgets.of(kind)
        identifiers = (kind.value, caller)
        try:
            allowed = await self._limiter.hit(budget, *identifiers, cost=points)
            window = await self._limiter.get_window_stats(budget, *identifiers)
        except StorageError as error:
            log.warning(
                "rate-limit storage unavailable, operation let through: %s",
                error.storage_error,
            )
            return Allowance(allowed=True, limit=budget.amount, remaining=None)
        if allowed:
            return Allowance(allowed=True, limit=budget.amount, remaining=window.remaining)
        retry_after = max(1, ceil(window.reset_time - self._clock()))
        return Allowance(
            allowed=False, limit=budget.amount, remaining=window.remaining, retry_after=retry_after
        )

    async def close(self) -> None:
        if self._on_close is not None:
            await self._on_close()
        else:
            await self._storage.reset()


def rate_limits_for(settings: Settings) -> RateLimits:
    budgets = Budgets.from_settings(settings)
    if settings.redis_url:
        return RateLimits.on_redis(settings.redis_url, budgets)
    return RateLimits.in_memory(budgets)


class CallerBudget:
    """The schema's view of the rate limits (``resolvers.rate_limit.OperationBudget``).

    Finds the caller in the request context and, over HTTP, answers a refusal with
    429 and ``Retry-After`` (over a websocket the operation's error says it all).
    """

    def __init__(self, limits: RateLimits, trusted_proxies: Sequence[Network] = ()) -> None:
        self._limits = limits
        self._trusted = tuple(trusted_proxies)

    @classmethod
    def from_settings(cls, limits: RateLimits, settings: Settings) -> "CallerBudget":
        return cls(limits, trusted_networks(settings.trusted_proxies))

    async def charge(self, context: Any, kind: OperationKind, points: int) -> Allowance:
        allowance = await self._limits.charge(self.caller_of(context), kind, points)
        if not allowance.allowed and isinstance(getattr(context, "response", None), Response):
            response: Response = context.response
            response.status_code = 429
            response.headers["Retry-After"] = str(allowance.retry_after)
        return allowance

    def caller_of(self, context: Any) -> str:
        viewer = getattr(context, "viewer", None)
        if isinstance(viewer, Viewer):
            return f"subject:{viewer.subject}"
        connection = getattr(context, "request", None)
        if isinstance(connection, HTTPConnection):
            return f"address:{connection_address(connection, self._trusted)}"
        return "address:unknown"
