"""Malformed requests get a GraphQL-shaped error with a code: never a 500, never a trace."""

from typing import Any

import pytest

from graphql_client import Api, codes

VIEWER = "{ viewer { subject } }"


def assert_clean(body: dict[str, Any]) -> None:
    text = str(body)
    for leak in ("Traceback", "sqlalchemy", "asyncpg", 'File "', "SELECT "):
        assert leak not in text


async def post(api: Api, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api.token('admin', 'admin-1')}"}
    headers.update(kwargs.pop("headers", {}))
    response = await api.client.post("/graphql", headers=headers, **kwargs)
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()


async def test_malformed_json_is_a_bad_request(api: Api) -> None:
    status, body = await post(
        api, content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert status == 400
    assert codes(body) == ["BAD_REQUEST"]


async def test_an_unsupported_content_type_is_a_bad_request(api: Api) -> None:
    status, body = await post(api, content=b"query", headers={"content-type": "text/plain"})
    assert status == 400
    assert codes(body) == ["BAD_REQUEST"]


async def test_an_unknown_field_is_a_validation_error(api: Api) -> None:
    status, body = await post(api, json={"query": "{ viewer { password } }"})
    assert status == 200
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert_clean(body)


async def test_a_syntax_error_is_a_parse_error(api: Api) -> None:
    _, body = await post(api, json={"query": "{ viewer { "})
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($n: Int) { appointments(first: $n) { nodes { id } } }", {"n": "ten"}),
        ("query($n: Int) { appointments(first: $n) { nodes { id } } }", {"n": 2**40}),
        (
            "query($d: DateTime) { appointments(filter: {scheduledFrom: $d}) { nodes { id } } }",
            {"d": "next tuesday"},
        ),
        (
            "query($d: DateTime) { appointments(filter: {scheduledFrom: $d}) { nodes { id } } }",
            {"d": "2030-01-01T10:00:00"},
        ),
        (
            "query($s: [AppointmentStatus!]) { appointments(filter: {status: $s}) { nodes { id } } }",
            {"s": ["MAYBE"]},
        ),
    ],
)
async def test_wrongly_typed_variables_are_bad_user_input(
    api: Api, query: str, variables: dict[str, Any]
) -> None:
    status, body = await post(api, json={"query": query, "variables": variables})
    assert status == 200
    assert codes(body) == ["BAD_USER_INPUT"]
    assert_clean(body)


async def test_an_unparsable_datetime_literal_is_bad_user_input(api: Api) -> None:
    _, body = await post(
        api,
        json={"query": '{ appointments(filter: {scheduledTo: "31/12/2030"}) { nodes { id } } }'},
    )
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_a_malformed_global_id_is_bad_user_input(api: Api) -> None:
    _, body = await post(api, json={"query": '{ appointment(id: "%%%") { id } }'})
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_a_one_megabyte_variables_object_is_refused_before_parsing(api: Api) -> None:
    variables = {f"v{i}": "x" * 1000 for i in range(1050)}
    status, body = await post(api, json={"query": VIEWER, "variables": variables})
    assert status == 413
    assert codes(body) == ["PAYLOAD_TOO_LARGE"]


async def test_a_body_without_content_length_is_still_limited(api: Api) -> None:
    async def chunks() -> Any:
        for _ in range(300):
            yield b" " * 4096

    status, body = await post(api, content=chunks(), headers={"content-type": "application/json"})
    assert status == 413
    assert codes(body) == ["PAYLOAD_TOO_LARGE"]


async def test_every_answer_carries_a_request_id_and_echoes_a_given_one(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": VIEWER}, headers={"X-Request-ID": "client-abc-123"}
    )
    assert response.headers["x-request-id"] == "client-abc-123"
    fresh = await api.client.post("/graphql", json={"query": VIEWER})
    assert len(fresh.headers["x-request-id"]) == 36
