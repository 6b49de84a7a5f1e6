"""A verified token tells when it expires, so long-lived connections can end there."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.viewer import InvalidCredentials, Role
from infra.auth import JwtVerifier, issue_token
from infra.auth.claims import viewer_from_claims

SECRET = "unit-secret-0123456789abcdef0123456789"


async def test_the_viewer_expires_when_the_token_does() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_token(
        secret=SECRET, subject="patient-1", role=Role.PATIENT, ttl=timedelta(minutes=5), now=now
    )
    viewer = await JwtVerifier(algorithms=["HS256"], secret=SECRET).authenticate(token)
    assert viewer.expires_at == now + timedelta(minutes=5)


@pytest.mark.parametrize("expiry", ["soon", True, [1]])
def test_an_expiry_that_is_not_a_number_is_refused(expiry: object) -> None:
    with pytest.raises(InvalidCredentials, match="exp"):
        viewer_from_claims({"sub": "patient-1", "role": "patient", "exp": expiry})
