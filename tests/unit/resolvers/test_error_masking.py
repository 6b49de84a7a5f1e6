"""Every error a client receives was written for it: whatever else fails is masked, whether
or not the error has a path."""

from graphql import GraphQLError

from resolvers.errors import ClientError, ErrorCode
from resolvers.extensions import classify
from resolvers.scalars import InvalidScalar


def test_an_unexpected_exception_without_a_path_is_masked() -> None:
    raised = TypeError("unhashable type: 'dict'")
    error = GraphQLError(str(raised), original_error=raised)
    masked = classify(error, "req-1")
    assert masked.message == "Internal server error."
    assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"}


def test_an_unexpected_exception_with_a_path_is_masked() -> None:
    raised = RuntimeError("SELECT secret FROM patients")
    masked = classify(GraphQLError("x", path=["viewer"], original_error=raised), "req-2")
    assert masked.message == "Internal server error."


def test_graphql_cores_own_errors_keep_their_message_and_get_a_code() -> None:
    coercion = GraphQLError("Expected value of type 'Int'.")
    wrapped = GraphQLError("Variable '$n' got invalid value", original_error=coercion)
    assert classify(wrapped, "r").message == "Variable '$n' got invalid value"
    assert classify(wrapped, "r").extensions == {"code": "BAD_USER_INPUT"}
    assert classify(GraphQLError("Cannot query field 'x'."), "r").extensions == {
        "code": "GRAPHQL_VALIDATION_FAILED"
    }


def test_a_client_error_keeps_its_message_and_code() -> None:
    refusal = ClientError("No.", ErrorCode.FORBIDDEN)
    error = GraphQLError("No.", path=["appointment"], original_error=refusal)
    assert classify(error, "r").extensions == {"code": "FORBIDDEN"}


def test_a_scalar_parsers_refusal_keeps_its_message() -> None:
    refusal = InvalidScalar("DateTime must carry an offset")
    error = GraphQLError("Expected value of type 'DateTime'.", original_error=refusal)
    assert classify(error, "r").extensions == {"code": "BAD_USER_INPUT"}
    assert classify(error, "r").message == "Expected value of type 'DateTime'."
