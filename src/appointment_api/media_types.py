"""GraphQL over HTTP's two answers (the GraphQL-over-HTTP spec): the legacy
``application/json``, always 200 for a GraphQL response, and
``application/graphql-response+json``, whose status tells what happened: 2xx once the
operation ran, 4xx or 5xx (and no ``data``) when it never started."""

from collections.abc import Iterable
from enum import StrEnum


class MediaType(StrEnum):
    JSON = "application/json"
    GRAPHQL_RESPONSE = "application/graphql-response+json"

    @property
    def content_type(self) -> str:
        return f"{self.value}; charset=utf-8"


_ACCEPTED = {
    "application/graphql-response+json": MediaType.GRAPHQL_RESPONSE,
    "application/json": MediaType.JSON,
    "application/*": MediaType.JSON,
    "*/*": MediaType.JSON,
}


def negotiate(accept: str | None) -> MediaType:
    """The media type the client prefers among ours, by ``q`` then by order; JSON when it
    names none of them (or sends no Accept at all), as the spec advises for legacy clients."""
    best: tuple[float, int, MediaType] | None = None
    for position, item in enumerate((accept or "").split(",")):
        media, _, parameters = item.partition(";")
        found = _ACCEPTED.get(media.strip().lower())
        if found is None:
            continue
        quality = _quality(parameters)
        if quality <= 0:
            continue
        candidate = (-quality, position, found)
        if best is None or candidate < best:
            best = candidate
    return MediaType.JSON if best is None else best[2]


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


# A request error's status by its code, under application/graphql-response+json; any other
# code (parse, validation, coercion, edge refusals, bad requests) is the client's: 400.
_STATUS_BY_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "RATE_LIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
    "TIMEOUT": 504,
}


def request_error_status(codes: Iterable[str]) -> int:
    statuses = [_STATUS_BY_CODE.get(code, 400) for code in codes]
    return max(statuses, default=400)
