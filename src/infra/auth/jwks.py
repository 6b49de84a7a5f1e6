"""Signing keys published at a JWKS URL, picked by ``kid``."""

import asyncio

import jwt

from domain.viewer import InvalidCredentials
from infra.auth.keys import JwtConfigError

FETCH_TIMEOUT_SECONDS = 5.0


class JwksUnavailable(RuntimeError):
    """The key set could not be fetched or read: our fault, not the caller's."""


class JwksKeys:
    """Keys from a JWKS document, cached by ``PyJWKClient``.

    A JWK is bound to one algorithm: its ``alg``, or the default for its key
    type when it has none (RSA: RS256; EC: the curve's ES algorithm).
    """

    def __init__(self, url: str) -> None:
        try:
            self._client = jwt.PyJWKClient(url, timeout=FETCH_TIMEOUT_SECONDS)
        except jwt.PyJWKClientError as exc:
            raise JwtConfigError("jwks_url", str(exc)) from exc

    async def signing_key(self, kid: str) -> jwt.PyJWK:
        cached = self._cached(kid)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self._fetched, kid)

    def _cached(self, kid: str) -> jwt.PyJWK | None:
        cache = self._client.jwk_set_cache
        key_set = cache.get() if cache is not None else None
        if key_set is None:
            return None
        signing = (key for key in key_set.keys if key.public_key_use in ("sig", None))
        return next((key for key in signing if key.key_id == kid), None)

    def _fetched(self, kid: str) -> jwt.PyJWK:
        try:
            return self._client.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
            raise JwksUnavailable(f"JWKS unusable: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            raise InvalidCredentials(f"no signing key for kid {kid[:64]!r}: {exc}") from exc
