"""The token inside an ``Authorization`` value."""

from domain.viewer import InvalidCredentials

MAX_TOKEN_LENGTH = 8192


def bearer_token(authorization: str | None) -> str:
    """Return the token from ``Bearer <token>`` (any case), or a bare token as is."""
    parts = (authorization or "").split()
    if not parts or (len(parts) == 1 and parts[0].lower() == "bearer"):
        raise InvalidCredentials("no token")
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return _bounded(parts[1])
    if len(parts) == 1:
        return _bounded(parts[0])
    raise InvalidCredentials("authorization is not 'Bearer <token>'")


def _bounded(token: str) -> str:
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidCredentials(f"token longer than {MAX_TOKEN_LENGTH} characters")
    return token
