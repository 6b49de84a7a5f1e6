"""Bearer tokens already verified, so that thousands of websockets opened with one token
(a dashboard reconnecting, a fleet of kiosks), and every request a client sends with its
token, do not each pay for the signature check (about a tenth of a page read's CPU)."""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from domain.viewer import Viewer

Authenticate = Callable[[str], Awaitable[Viewer]]

# A verified token is trusted again for at most this long: a key withdrawn from the JWKS
# stops being accepted within a minute, as it would once the JWKS cache renews.
TRUST_SECONDS = 60.0
KEPT = 10_000


class VerifiedTokens:
    """Remembers the viewer of each recently verified ``Authorization`` value.

    An entry is reused only before the token's own expiry and within ``trust_seconds``
    of its verification; failures are never remembered (each is checked again).
    """

    def __init__(
        self,
        authenticate: Authenticate,
        *,
        trust_seconds: float = TRUST_SECONDS,
        capacity: int = KEPT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authenticate = authenticate
        self._trust_seconds = trust_seconds
        self._capacity = capacity
        self._now = now
        self._monotonic = monotonic
        self._viewers: OrderedDict[str, tuple[float, Viewer]] = OrderedDict()

    async def viewer(self, authorization: str) -> Viewer:
        kept = self._viewers.get(authorization)
        if kept is not None:
            verified_at, viewer = kept
            if self._monotonic() - verified_at < self._trust_seconds and not self._expired(viewer):
                self._viewers.move_to_end(authorization)
                return viewer
            del self._viewers[authorization]
        viewer = await self._authenticate(authorization)
        self._viewers[authorization] = (self._monotonic(), viewer)
        if len(self._viewers) > self._capacity:
            self._viewers.popitem(last=False)
        return viewer

    def _expired(self, viewer: Viewer) -> bool:
        return viewer.expires_at is not None and viewer.expires_at <= self._now()
