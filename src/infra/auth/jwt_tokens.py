"""Verify the JWT that identifies a caller, and issue tokens for development."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import jwt

from domain.viewer import InvalidCredentials, Role, Viewer
from infra.auth.bearer import bearer_token
from infra.auth.claims import viewer_from_claims
from infra.auth.jwks import JwksKeys
from infra.auth.keys import (
    SUPPORTED,
    SYMMETRIC,
    JwtConfigError,
    PublicKey,
    fits,
    load_public_key,
    pinned,
)
from infra.config import Settings

VerificationKey = str | PublicKey | jwt.PyJWK

_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not yet valid"),
    (jwt.InvalidSignatureError, "wrong signature"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.MissingRequiredClaimError, "missing claim"),
    (jwt.InvalidAlgorithmError, "algorithm refused"),
    (jwt.InvalidKeyError, "key unusable"),
    (jwt.DecodeError, "malformed token"),
)


class JwtVerifier:
    """Turns an ``Authorization`` value into a Viewer, or raises InvalidCredentials.

    Algorithms are pinned, and each family has its own key: HS* verify only
    with the secret, RS*/PS*/ES* only with the public key or the JWKS, so a
    token cannot choose how its signature is read.
    """

    def __init__(
        self,
        *,
        algorithms: Sequence[str],
        secret: str | None = None,
        public_key: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: timedelta = timedelta(0),
    ) -> None:
        if leeway < timedelta(0):
            raise JwtConfigError("leeway", "must not be negative")
        self._algorithms = pinned(algorithms)
        self._secret = secret or None
        self._public_key = load_public_key(public_key) if public_key else None
        self._jwks = JwksKeys(jwks_url) if jwks_url else None
        self._issuer = issuer or None
        self._audience = audience or None
        self._leeway = leeway
        self._required = _required_claims(issuer, audience)
        self._check_every_algorithm_has_a_key()

    @classmethod
    def from_settings(cls, settings: Settings) -> "JwtVerifier":
        public_key = settings.jwt_public_key
        try:
            return cls(
                algorithms=settings.jwt_algorithms,
                secret=settings.effective_jwt_secret,
                public_key=public_key.get_secret_value() if public_key else None,
                jwks_url=settings.jwt_jwks_url,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                leeway=timedelta(seconds=settings.jwt_leeway_seconds),
            )
        except JwtConfigError as exc:
            raise JwtConfigError(f"JWT_{exc.field.upper()}", exc.message) from exc

    async def authenticate(self, authorization: str | None) -> Viewer:
        token = bearer_token(authorization)
        header = _unverified_header(token)
        algorithm = self._pinned_algorithm(header)
        key = await self._key_for(algorithm, header.get("kid"))
        return viewer_from_claims(self._verified_claims(token, key, algorithm))

    def _pinned_algorithm(self, header: dict[str, Any]) -> str:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str):
            raise InvalidCredentials("header names no algorithm")
        if algorithm not in self._algorithms:
            raise InvalidCredentials(f"algorithm {algorithm[:16]!r} is not pinned")
        return algorithm

    async def _key_for(self, algorithm: str, kid: str | None) -> VerificationKey:
        if algorithm in SYMMETRIC and self._secret is not None:
            return self._secret
        if algorithm not in SYMMETRIC and self._jwks is not None and kid is not None:
            return await self._jwks.signing_key(kid)
        if self._public_key is not None and fits(self._public_key, algorithm):
            return self._public_key
        raise InvalidCredentials(f"no key verifies {algorithm} (kid {kid!r})")

    def _verified_claims(self, token: str, key: VerificationKey, algorithm: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": self._required},
            )
        except jwt.PyJWTError as exc:
            raise InvalidCredentials(_reason(exc)) from exc
        except (OverflowError, ValueError, TypeError) as exc:
            # A signed time claim PyJWT cannot read as a number (Infinity, NaN).
            raise InvalidCredentials(f"unreadable time claim: {exc}") from exc

    def _check_every_algorithm_has_a_key(self) -> None:
        for algorithm in sorted(self._algorithms):
            if algorithm in SYMMETRIC and self._secret is None:
                raise JwtConfigError("algorithms", f"{algorithm} needs a secret, and none is set")
            if algorithm not in SYMMETRIC and not self._has_public_key_for(algorithm):
                raise JwtConfigError(
                    "algorithms", f"{algorithm} needs a JWKS URL or a matching public key"
                )

    def _has_public_key_for(self, algorithm: str) -> bool:
        if self._jwks is not None:
            return True
        return self._public_key is not None and fits(self._public_key, algorithm)


def issue_token(
    *,
    secret: str,
    subject: str,
    role: Role,
    ttl: timedelta,
    now: datetime,
    issuer: str | None = None,
    audience: str | None = None,
    email: str | None = None,
    name: str | None = None,
    algorithm: str = "HS256",
) -> str:
    """Sign a token for ``subject``; ``secret`` is the private key PEM for RS*/PS*/ES*."""
    if algorithm not in SUPPORTED:
        raise ValueError(f"unsupported algorithm {algorithm!r}")
    if now.tzinfo is None or ttl <= timedelta(0):
        raise ValueError("now must be timezone-aware and ttl positive")
    claims: dict[str, Any] = {"sub": subject, "role": role.value.lower()}
    claims |= {"iat": now, "nbf": now, "exp": now + ttl}
    optional = {"iss": issuer, "aud": audience, "email": email, "name": name}
    claims |= {claim: value for claim, value in optional.items() if value is not None}
    return jwt.encode(claims, secret, algorithm=algorithm)


def _required_claims(issuer: str | None, audience: str | None) -> list[str]:
    configured = {"iss": issuer, "aud": audience}
    return ["exp", "sub", "role", *(claim for claim, value in configured.items() if value)]


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidCredentials(f"malformed token: {exc}") from exc


def _reason(exc: jwt.PyJWTError) -> str:
    label = next((text for kind, text in _REASONS if isinstance(exc, kind)), "invalid token")
    return f"{label}: {exc}"
