"""Which answer a client gets, from its Accept header."""

import pytest

from appointment_api.media_types import MediaType, negotiate, request_error_status

JSON, RESPONSE = MediaType.JSON, MediaType.GRAPHQL_RESPONSE


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", RESPONSE),
        ("application/json, application/graphql-response+json", JSON),
        ("application/json;q=0.5, application/graphql-response+json", RESPONSE),
        ("text/html, application/graphql-response+json;q=0.8, */*;q=0.1", RESPONSE),
        ("application/graphql-response+json;q=0, application/json", JSON),
        ("text/plain", JSON),
        ("application/graphql-response+json;q=oops, application/json", JSON),
    ],
)
def test_the_preferred_media_type_is_ours_by_quality_then_order(
    accept: str | None, chosen: MediaType
) -> None:
    assert negotiate(accept) is chosen


def test_a_request_error_is_the_clients_unless_it_says_otherwise() -> None:
    assert request_error_status(["GRAPHQL_PARSE_FAILED"]) == 400
    assert request_error_status(["QUERY_TOO_COSTLY"]) == 400
    assert request_error_status(["UNAUTHENTICATED"]) == 401
    assert request_error_status(["RATE_LIMITED"]) == 429
    assert request_error_status(["TIMEOUT"]) == 504
    assert request_error_status([]) == 400
