"""application/graphql-response+json for clients that ask for it, with the spec's status
codes; application/json, always 200 for a GraphQL response, for those that do not."""

from typing import Any

import httpx
import pytest

from graphql_client import Api, codes, running_api

RESPONSE = "application/graphql-response+json"
PATIENT = ("patient", "media-patient")


async def ask(
    api: Api, body: dict[str, Any], accept: str | None, who: tuple[str, str] | None = PATIENT
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(*who)}"} if who else {}
    if accept is not None:
        headers["Accept"] = accept
    return await api.client.post("/graphql", json=body, headers=headers)


REQUEST_ERRORS = [
    ({"query": "{ viewer { role "}, 400, "GRAPHQL_PARSE_FAILED"),
    ({"query": "{ viewer { nothingHere } }"}, 400, "GRAPHQL_VALIDATION_FAILED"),
    (
        {
            "query": "query($n: Int) { appointments(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
        400,
        "BAD_USER_INPUT",
    ),
    (
        {
            "query": "{ psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } } }"
        },
        400,
        "QUERY_TOO_COSTLY",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), REQUEST_ERRORS)
async def test_a_request_error_is_a_4xx_without_data_when_the_client_asks_for_graphql_response(
    database_url: str, body: dict[str, Any], status: int, code: str
) -> None:
    async with running_api(database_url) as api:
        answer = await ask(api, body, f"{RESPONSE}, application/json;q=0.9")
        legacy = await ask(api, body, "application/json")

    assert answer.status_code == status
    assert answer.headers["content-type"] == f"{RESPONSE}; charset=utf-8"
    assert "data" not in answer.json()
    assert codes(answer.json()) == [code]
    # The same request as application/json: 200, data null, as before.
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["data"] is None
    assert codes(legacy.json()) == [code]


async def test_no_token_is_a_401_without_data(database_url: str) -> None:
    async with running_api(database_url) as api:
        answer = await ask(api, {"query": "{ viewer { role } }"}, RESPONSE, who=None)
    assert answer.status_code == 401
    assert "data" not in answer.json()
    assert codes(answer.json()) == ["UNAUTHENTICATED"]


async def test_an_operation_that_ran_is_a_200_with_its_data_and_field_errors(
    database_url: str,
) -> None:
    async with running_api(database_url) as api:
        ran = await ask(api, {"query": "{ viewer { role } }"}, RESPONSE)
        field_error = await ask(
            api, {"query": '{ viewer { role } node(id: "bm9wZQ==") { id } }'}, RESPONSE
        )
    assert ran.status_code == 200
    assert ran.headers["content-type"] == f"{RESPONSE}; charset=utf-8"
    assert ran.json()["data"] == {"viewer": {"role": "PATIENT"}}
    assert field_error.status_code == 200
    assert field_error.json()["data"]["viewer"] == {"role": "PATIENT"}
    assert field_error.json()["errors"][0]["path"] == ["node"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/plain"])
async def test_every_other_client_gets_application_json(
    database_url: str, accept: str | None
) -> None:
    async with running_api(database_url) as api:
        answer = await ask(api, {"query": "{ viewer { role } }"}, accept)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"


async def test_a_transport_refusal_answers_in_the_media_type_asked_for(database_url: str) -> None:
    async with running_api(database_url) as api:
        answer = await api.client.post(
            "/graphql",
            content="not json",
            headers={"content-type": "application/json", "Accept": RESPONSE},
        )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == f"{RESPONSE}; charset=utf-8"
    assert codes(answer.json()) == ["BAD_REQUEST"]
