from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from domain.viewer import Role
from infra.auth import JwtConfigError, JwtVerifier, issue_token
from infra.config import DEV_JWT_SECRET, Settings


def jwt_settings(**values: object) -> Settings:
    unset = {
        "jwt_secret": None,
        "jwt_public_key": None,
        "jwt_jwks_url": None,
        "jwt_issuer": None,
        "jwt_audience": None,
    }
    return Settings(**{**unset, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"algorithms": []}, "at least one"),
        ({"algorithms": ["none"]}, "unsupported"),
        ({"algorithms": ["HS256"]}, "HS256 needs a secret"),
        ({"algorithms": ["RS256"]}, "RS256 needs a JWKS URL or a matching public key"),
        ({"algorithms": ["HS256"], "secret": "s" * 40, "leeway": timedelta(seconds=-1)}, "leeway"),
        ({"algorithms": ["RS256"], "public_key": "not a key"}, "public_key: not a PEM"),
        ({"algorithms": ["RS256"], "jwks_url": "file:///keys.json"}, "jwks_url"),
    ],
)
def test_refuses_a_configuration_that_cannot_verify(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(JwtConfigError, match=message):
        JwtVerifier(**arguments)  # type: ignore[arg-type]


def test_refuses_an_algorithm_the_public_key_cannot_verify(rsa_public_pem: str) -> None:
    with pytest.raises(JwtConfigError, match="ES256 needs"):
        JwtVerifier(algorithms=["RS256", "ES256"], public_key=rsa_public_pem)


def test_refuses_a_public_key_of_an_unsupported_type() -> None:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    with pytest.raises(JwtConfigError, match="only RSA and EC"):
        JwtVerifier(algorithms=["ES256"], public_key=pem)


async def test_from_settings_in_development_verifies_with_the_development_secret(
    now: datetime,
) -> None:
    verifier = JwtVerifier.from_settings(jwt_settings(app_env="development"))
    token = issue_token(
        secret=DEV_JWT_SECRET,
        subject="patient-1",
        role=Role.PATIENT,
        ttl=timedelta(minutes=1),
        now=now,
    )

    assert (await verifier.authenticate(token)).subject == "patient-1"


def test_from_settings_names_the_variable_to_fix() -> None:
    settings = jwt_settings(
        app_env="production", jwt_jwks_url="https://id.example/jwks.json", metrics_port=9100
    )

    with pytest.raises(JwtConfigError, match=r"^JWT_ALGORITHMS: HS256 needs a secret"):
        JwtVerifier.from_settings(settings)
