"""A client sends its token with every request: its signature is checked once, and the
token stops being accepted when it expires, cached or not."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.viewer import Role, Viewer
from graphql_client import SECRET, codes, running_api
from infra.auth.jwt_tokens import JwtVerifier, issue_token

WHO = "query { viewer { role } }"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Authorization values the app's verifier is asked to check, in order."""
    seen: list[str] = []
    check: Callable[[JwtVerifier, str | None], Awaitable[Viewer]] = JwtVerifier.authenticate

    async def counted(verifier: JwtVerifier, authorization: str | None) -> Viewer:
        seen.append(authorization or "")
        return await check(verifier, authorization)

    monkeypatch.setattr(JwtVerifier, "authenticate", counted)
    return seen


async def test_a_token_sent_with_every_request_is_verified_once(
    database_url: str, verifications: list[str]
) -> None:
    async with running_api(database_url) as api:
        first = api.token("admin", "admin-1")
        second = api.token("admin", "admin-2", ttl=timedelta(hours=2))
        for token in (first, first, first, second, second):
            response = await api.client.post(
                "/graphql", json={"query": WHO}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.json()["data"] == {"viewer": {"role": "ADMIN"}}, response.text

    assert verifications == [f"Bearer {first}", f"Bearer {second}"]


async def test_an_expired_token_is_refused_even_after_it_was_accepted(
    database_url: str, verifications: list[str]
) -> None:
    async with running_api(database_url) as api:
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        expired = issue_token(
            secret=SECRET,
            subject="admin-1",
            role=Role.ADMIN,
            ttl=timedelta(minutes=1),
            now=an_hour_ago,
        )
        for _ in range(2):
            response = await api.client.post(
                "/graphql", json={"query": WHO}, headers={"Authorization": f"Bearer {expired}"}
            )
            assert codes(response.json()) == ["UNAUTHENTICATED"], response.text

    assert len(verifications) == 2
