from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.viewer import InvalidCredentials, Role, Viewer
from infra.auth import JwtVerifier

Sign = Callable[..., str]
Forge = Callable[[dict[str, Any], bytes | None], str]


@pytest.fixture
def hs256(secret: str) -> JwtVerifier:
    return JwtVerifier(algorithms=["HS256"], secret=secret)


@pytest.fixture
def rs256(rsa_public_pem: str) -> JwtVerifier:
    return JwtVerifier(algorithms=["RS256"], public_key=rsa_public_pem)


async def refused(verifier: JwtVerifier, authorization: str | None, reason: str) -> None:
    with pytest.raises(InvalidCredentials, match=reason):
        await verifier.authenticate(authorization)


async def test_accepts_an_hs256_token_and_reads_its_claims(hs256: JwtVerifier, sign: Sign) -> None:
    token = sign(email="ada@example.com", name="Ada")

    viewer = await hs256.authenticate(f"Bearer {token}")

    assert viewer == Viewer("patient-1", Role.PATIENT, email="ada@example.com", name="Ada")


async def test_accepts_an_rs256_token_verified_with_the_public_key(
    rs256: JwtVerifier, sign: Sign, rsa_key: rsa.RSAPrivateKey
) -> None:
    viewer = await rs256.authenticate(f"Bearer {sign(rsa_key, 'RS256', role='psychologist')}")

    assert viewer == Viewer("patient-1", Role.PSYCHOLOGIST)


async def test_accepts_an_es256_token_verified_with_the_public_key(
    sign: Sign, ec_key: ec.EllipticCurvePrivateKey, ec_public_pem: str
) -> None:
    verifier = JwtVerifier(algorithms=["ES256"], public_key=ec_public_pem)

    viewer = await verifier.authenticate(f"Bearer {sign(ec_key, 'ES256', role='admin')}")

    assert viewer.role is Role.ADMIN


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", "BEARER  ", ""])
async def test_accepts_any_case_of_the_scheme_and_a_bare_token(
    hs256: JwtVerifier, sign: Sign, scheme: str
) -> None:
    viewer = await hs256.authenticate(f"{scheme}{sign()}")

    assert viewer.subject == "patient-1"


@pytest.mark.parametrize("role", ["PSYCHOLOGIST", "Psychologist"])
async def test_accepts_a_role_in_any_case(hs256: JwtVerifier, sign: Sign, role: str) -> None:
    viewer = await hs256.authenticate(sign(role=role))

    assert viewer.role is Role.PSYCHOLOGIST


async def test_uses_the_secret_and_the_public_key_each_for_its_own_family(
    secret: str, rsa_public_pem: str, rsa_key: rsa.RSAPrivateKey, sign: Sign
) -> None:
    verifier = JwtVerifier(algorithms=["HS256", "RS256"], secret=secret, public_key=rsa_public_pem)

    assert (await verifier.authenticate(sign())).subject == "patient-1"
    assert (await verifier.authenticate(sign(rsa_key, "RS256"))).subject == "patient-1"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no token"),
        ("", "no token"),
        ("   ", "no token"),
        ("Bearer", "no token"),
        ("Basic dXNlcjpwYXNz", "not 'Bearer <token>'"),
        ("Bearer a.b.c extra", "not 'Bearer <token>'"),
        ("Bearer garbage", "malformed token"),
        ("Bearer e30.e30.e30", "header names no algorithm"),
        ("Bearer !!!.???.***", "malformed token"),
        (f"Bearer {'a' * 9000}", "longer than"),
    ],
)
async def test_refuses_missing_or_malformed_credentials(
    hs256: JwtVerifier, authorization: str | None, reason: str
) -> None:
    await refused(hs256, authorization, reason)


async def test_refuses_an_expired_token(hs256: JwtVerifier, sign: Sign, now: datetime) -> None:
    issued = now - timedelta(hours=2)
    token = sign(iat=issued, nbf=issued, exp=issued + timedelta(hours=1))

    await refused(hs256, token, "expired")


async def test_accepts_an_expired_token_within_the_leeway(
    secret: str, sign: Sign, now: datetime
) -> None:
    verifier = JwtVerifier(algorithms=["HS256"], secret=secret, leeway=timedelta(seconds=60))

    viewer = await verifier.authenticate(sign(exp=now - timedelta(seconds=10)))

    assert viewer.subject == "patient-1"


async def test_refuses_a_token_not_valid_before_a_future_time(
    hs256: JwtVerifier, sign: Sign, now: datetime
) -> None:
    later = now + timedelta(hours=1)

    await refused(hs256, sign(nbf=later, exp=later + timedelta(hours=1)), r"not yet valid.*nbf")


async def test_refuses_a_token_issued_in_the_future(
    hs256: JwtVerifier, sign: Sign, now: datetime
) -> None:
    later = now + timedelta(hours=1)

    await refused(hs256, sign(iat=later, nbf=None, exp=later + timedelta(hours=1)), r"iat")


async def test_refuses_a_token_signed_with_another_secret(hs256: JwtVerifier, sign: Sign) -> None:
    await refused(hs256, sign("another-secret-that-is-long-enough-0123456789"), "wrong signature")


async def test_refuses_a_token_whose_payload_was_changed(hs256: JwtVerifier, sign: Sign) -> None:
    header, _, signature = sign().split(".")
    _, payload, _ = sign(role="admin").split(".")

    await refused(hs256, f"{header}.{payload}.{signature}", "wrong signature")


async def test_refuses_an_unsigned_token(hs256: JwtVerifier, forge: Forge) -> None:
    for alg in ("none", "None", "NONE"):
        await refused(hs256, forge({"alg": alg, "typ": "JWT"}, None), "not pinned")


async def test_refuses_a_token_without_an_algorithm(hs256: JwtVerifier, forge: Forge) -> None:
    await refused(hs256, forge({"typ": "JWT"}, None), "no algorithm")


async def test_refuses_hs256_signed_with_the_public_key_when_rs256_is_pinned(
    rs256: JwtVerifier, forge: Forge, rsa_public_pem: str
) -> None:
    token = forge({"alg": "HS256", "typ": "JWT"}, rsa_public_pem.encode())

    await refused(rs256, token, "'HS256' is not pinned")


async def test_refuses_hs256_signed_with_the_public_key_when_both_families_are_pinned(
    secret: str, rsa_public_pem: str, forge: Forge
) -> None:
    verifier = JwtVerifier(algorithms=["HS256", "RS256"], secret=secret, public_key=rsa_public_pem)
    token = forge({"alg": "HS256", "typ": "JWT"}, rsa_public_pem.encode())

    await refused(verifier, token, "wrong signature")


async def test_refuses_an_algorithm_that_is_not_pinned(
    hs256: JwtVerifier, sign: Sign, secret: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    await refused(hs256, sign(secret, "HS512"), "'HS512' is not pinned")
    await refused(hs256, sign(rsa_key, "RS256"), "'RS256' is not pinned")


async def test_refuses_a_token_without_kid_whose_algorithm_does_not_fit_the_public_key(
    rsa_public_pem: str, sign: Sign, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = JwtVerifier(
        algorithms=["RS256", "ES256"],
        public_key=rsa_public_pem,
        jwks_url="http://127.0.0.1:9/never-fetched.json",
    )

    await refused(verifier, sign(ec_key, "ES256"), "no key verifies ES256")


async def test_refuses_a_token_for_another_audience(secret: str, sign: Sign) -> None:
    verifier = JwtVerifier(algorithms=["HS256"], secret=secret, audience="appointments")

    await refused(verifier, sign(aud="billing"), "wrong audience")
    await refused(verifier, sign(), "missing claim.*aud")
    assert (await verifier.authenticate(sign(aud="appointments"))).subject == "patient-1"


async def test_refuses_an_audience_when_none_is_configured(hs256: JwtVerifier, sign: Sign) -> None:
    await refused(hs256, sign(aud="billing"), "wrong audience")


async def test_refuses_a_token_from_another_issuer(secret: str, sign: Sign) -> None:
    verifier = JwtVerifier(algorithms=["HS256"], secret=secret, issuer="https://id.example")

    await refused(verifier, sign(iss="https://evil.example"), "wrong issuer")
    await refused(verifier, sign(), "missing claim.*iss")
    assert (await verifier.authenticate(sign(iss="https://id.example"))).subject == "patient-1"


@pytest.mark.parametrize("claim", ["exp", "sub", "role"])
async def test_refuses_a_token_without_a_required_claim(
    hs256: JwtVerifier, sign: Sign, claim: str
) -> None:
    await refused(hs256, sign(**{claim: None}), f"missing claim.*{claim}")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"role": "superuser"}, "unknown role 'superuser'"),
        ({"role": ["admin"]}, "role is not a string"),
        ({"sub": ""}, "sub is empty"),
        ({"sub": 42}, "invalid token"),
        ({"email": 42}, "email is not a string"),
        ({"exp": "tomorrow"}, "malformed token"),
    ],
)
async def test_refuses_claims_of_the_wrong_shape(
    hs256: JwtVerifier, sign: Sign, overrides: dict[str, Any], reason: str
) -> None:
    await refused(hs256, sign(**overrides), reason)
