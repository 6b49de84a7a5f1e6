import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET = "unit-test-secret-0123456789abcdef-long-enough-even-for-hs512-0123456789"

Sign = Callable[..., str]


def _public_pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _segment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_public_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return _public_pem(rsa_key)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ec_public_pem(ec_key: ec.EllipticCurvePrivateKey) -> str:
    return _public_pem(ec_key)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def claims(now: datetime) -> dict[str, Any]:
    return {
        "sub": "patient-1",
        "role": "patient",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def sign(claims: dict[str, Any]) -> Sign:
    """Encode ``claims`` changed by ``overrides`` (a None value drops the claim)."""

    def _sign(key: Any = SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
        payload = {**claims, **overrides}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key, algorithm=algorithm)

    return _sign


@pytest.fixture
def forge(claims: dict[str, Any]) -> Callable[[dict[str, Any], bytes | None], str]:
    """Build a token by hand: any header, HMAC-SHA256 with ``hmac_key`` or no signature."""

    def _forge(header: dict[str, Any], hmac_key: bytes | None) -> str:
        payload = {
            name: int(value.timestamp()) if isinstance(value, datetime) else value
            for name, value in claims.items()
        }
        signing_input = f"{_segment(header)}.{_segment(payload)}"
        if hmac_key is None:
            return f"{signing_input}."
        digest = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"

    return _forge
