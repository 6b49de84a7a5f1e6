"""What reaches a client of an error: a code always, the message only when it was written
for the client."""

from graphql import GraphQLError

from resolvers.errors import ClientError, ErrorCode
from resolvers.extensions import classify


def test_an_unexpected_error_without_a_path_is_masked_like_any_other() -> None:
    # An extension or the transport failing before any field ran: no path.
    error = GraphQLError("unhashable type: 'dict'", original_error=TypeError("unhashable"))

    masked = classify(error, "request-1")

    assert masked.message == "Internal server error."
    assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "request-1"}


def test_an_unexpected_error_in_a_field_is_masked() -> None:
    error = GraphQLError("boom", path=["viewer"], original_error=KeyError("secret"))

    assert classify(error, "request-1").message == "Internal server error."


def test_graphql_cores_own_request_errors_keep_their_message_with_a_code() -> None:
    syntax = GraphQLError("Syntax Error: Expected Name, found <EOF>.")
    coercion = GraphQLError(
        "Variable '$when' got invalid value 'soon'; DateTime needs an ISO 8601 instant.",
        original_error=ValueError("DateTime needs an ISO 8601 instant."),
    )

    assert classify(syntax, "r").extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    kept = classify(coercion, "r")
    assert kept.message == coercion.message
    assert kept.extensions == {"code": "BAD_USER_INPUT"}


def test_a_client_error_keeps_its_message_and_code() -> None:
    error = GraphQLError(
        "nope", path=["x"], original_error=ClientError("Not yours.", ErrorCode.FORBIDDEN)
    )

    assert classify(error, "r").extensions == {"code": "FORBIDDEN"}
