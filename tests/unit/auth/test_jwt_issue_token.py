from datetime import datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.viewer import InvalidCredentials, Role, Viewer
from infra.auth import JwtVerifier, issue_token


async def test_an_issued_token_authenticates_as_its_viewer(secret: str, now: datetime) -> None:
    token = issue_token(
        secret=secret,
        subject="psychologist-3",
        role=Role.PSYCHOLOGIST,
        ttl=timedelta(minutes=10),
        now=now,
        issuer="https://id.example",
        audience="appointments",
        email="grace@example.com",
        name="Grace",
    )
    verifier = JwtVerifier(
        algorithms=["HS256"], secret=secret, issuer="https://id.example", audience="appointments"
    )

    viewer = await verifier.authenticate(f"Bearer {token}")

    assert viewer == Viewer("psychologist-3", Role.PSYCHOLOGIST, "grace@example.com", "Grace")


def test_writes_the_role_lowercase_and_the_times_from_now(secret: str, now: datetime) -> None:
    token = issue_token(
        secret=secret, subject="admin-1", role=Role.ADMIN, ttl=timedelta(hours=1), now=now
    )

    claims = jwt.decode(token, options={"verify_signature": False})

    issued_at = int(now.timestamp())
    assert claims == {
        "sub": "admin-1",
        "role": "admin",
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + 3600,
    }


async def test_signs_rs256_with_a_private_key(
    rsa_key: rsa.RSAPrivateKey, rsa_public_pem: str, now: datetime
) -> None:
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    token = issue_token(
        secret=private_pem,
        subject="patient-2",
        role=Role.PATIENT,
        ttl=timedelta(minutes=1),
        now=now,
        algorithm="RS256",
    )
    verifier = JwtVerifier(algorithms=["RS256"], public_key=rsa_public_pem)

    assert (await verifier.authenticate(token)).subject == "patient-2"


async def test_a_token_issued_before_its_ttl_ran_out_is_expired(secret: str, now: datetime) -> None:
    token = issue_token(
        secret=secret,
        subject="patient-1",
        role=Role.PATIENT,
        ttl=timedelta(minutes=30),
        now=now - timedelta(hours=1),
    )
    verifier = JwtVerifier(algorithms=["HS256"], secret=secret)

    with pytest.raises(InvalidCredentials, match="expired"):
        await verifier.authenticate(token)


@pytest.mark.parametrize(
    ("shift", "ttl", "algorithm", "message"),
    [
        ("naive", timedelta(minutes=5), "HS256", "timezone-aware"),
        ("aware", timedelta(0), "HS256", "ttl positive"),
        ("aware", timedelta(minutes=5), "none", "unsupported algorithm"),
    ],
)
def test_refuses_to_issue_an_unsafe_or_ambiguous_token(
    secret: str, now: datetime, shift: str, ttl: timedelta, algorithm: str, message: str
) -> None:
    moment = now.replace(tzinfo=None) if shift == "naive" else now

    with pytest.raises(ValueError, match=message):
        issue_token(
            secret=secret,
            subject="patient-1",
            role=Role.PATIENT,
            ttl=ttl,
            now=moment,
            algorithm=algorithm,
        )
