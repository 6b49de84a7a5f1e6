"""GraphQL errors a client can act on, each with its ``extensions.code``."""

from enum import StrEnum

from graphql import GraphQLError


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_REQUEST = "BAD_REQUEST"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    TIMEOUT = "TIMEOUT"
    # Operations sent by hash (automatic persisted queries, trusted documents).
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    OPERATION_NOT_TRUSTED = "OPERATION_NOT_TRUSTED"
    # Refusals at the edge: the operation never reached a resolver.
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    BATCHING_NOT_ALLOWED = "BATCHING_NOT_ALLOWED"
    # More appointment requests in one operation than one batch may hold, across its fields.
    TOO_MANY_APPOINTMENT_REQUESTS = "TOO_MANY_APPOINTMENT_REQUESTS"
    # A subscription ended by the server: subscribe again (with the last cursor) to go on.
    LIVE_UPDATES_INTERRUPTED = "LIVE_UPDATES_INTERRUPTED"
    SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"


class ClientError(GraphQLError):
    """An error whose message is written for the client and safe to show."""

    def __init__(self, message: str, code: ErrorCode, **extensions: object) -> None:
        super().__init__(message, extensions={"code": code.value, **extensions})


def bad_user_input(message: str, *, argument: str | None = None) -> ClientError:
    if argument is None:
        return ClientError(message, ErrorCode.BAD_USER_INPUT)
    return ClientError(message, ErrorCode.BAD_USER_INPUT, argument=argument)


def unauthenticated() -> ClientError:
    return ClientError(
        "Authentication required: send a valid bearer token.", ErrorCode.UNAUTHENTICATED
    )
