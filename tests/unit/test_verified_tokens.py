"""The websocket handshake's cache of verified tokens: reused only while still valid."""

from datetime import UTC, datetime, timedelta

import pytest

from appointment_api.verified_tokens import VerifiedTokens
from domain.viewer import InvalidCredentials, Role, Viewer

NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.wall = NOW
        self.seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.seconds += seconds


class Verifier:
    def __init__(self, expires_in: timedelta | None = timedelta(hours=1)) -> None:
        self.checks = 0
        self.expires_in = expires_in
        self.refuse = False

    async def __call__(self, authorization: str) -> Viewer:
        self.checks += 1
        if self.refuse:
            raise InvalidCredentials("wrong signature")
        expires = NOW + self.expires_in if self.expires_in is not None else None
        return Viewer(authorization.removeprefix("Bearer "), Role.PATIENT, expires_at=expires)


def tokens(verifier: Verifier, clock: Clock, **options: float) -> VerifiedTokens:
    return VerifiedTokens(
        verifier, now=lambda: clock.wall, monotonic=lambda: clock.seconds, **options
    )


async def test_one_token_is_verified_once_while_trusted() -> None:
    verifier, clock = Verifier(), Clock()
    cache = tokens(verifier, clock, trust_seconds=60)
    first = await cache.viewer("Bearer a")
    clock.advance(59)
    assert await cache.viewer("Bearer a") is first
    assert verifier.checks == 1
    assert (await cache.viewer("Bearer b")).subject == "b"
    assert verifier.checks == 2


async def test_a_token_is_verified_again_after_the_trust_period() -> None:
    verifier, clock = Verifier(), Clock()
    cache = tokens(verifier, clock, trust_seconds=60)
    await cache.viewer("Bearer a")
    clock.advance(60)
    verifier.refuse = True  # its key was withdrawn meanwhile
    with pytest.raises(InvalidCredentials):
        await cache.viewer("Bearer a")


async def test_an_expired_token_is_never_served_from_the_cache() -> None:
    verifier, clock = Verifier(expires_in=timedelta(seconds=10)), Clock()
    cache = tokens(verifier, clock, trust_seconds=60)
    await cache.viewer("Bearer a")
    clock.advance(10)
    verifier.refuse = True  # as the verifier refuses an expired token
    with pytest.raises(InvalidCredentials):
        await cache.viewer("Bearer a")
    assert verifier.checks == 2


async def test_refusals_are_not_remembered_and_the_cache_is_bounded() -> None:
    verifier, clock = Verifier(), Clock()
    cache = tokens(verifier, clock, capacity=2)
    verifier.refuse = True
    with pytest.raises(InvalidCredentials):
        await cache.viewer("Bearer a")
    verifier.refuse = False
    await cache.viewer("Bearer a")
    await cache.viewer("Bearer b")
    await cache.viewer("Bearer c")  # pushes out a, the least recently used
    await cache.viewer("Bearer a")
    assert verifier.checks == 5
