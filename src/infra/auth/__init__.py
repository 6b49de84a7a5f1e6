"""Who is calling: JWT verification (HS256 secret, PEM public key or JWKS)."""

from infra.auth.jwks import JwksUnavailable
from infra.auth.jwt_tokens import JwtVerifier, issue_token
from infra.auth.keys import JwtConfigError

__all__ = ["JwksUnavailable", "JwtConfigError", "JwtVerifier", "issue_token"]
