"""Whatever a client sends over HTTP gets a GraphQL-shaped answer with a code: a body that
is not a JSON object, an operationName that is not a string. The metrics name operations
only once they are valid and their caller signed in, and /metrics is never open in
production."""

from typing import Any

import httpx
import pytest

from graphql_client import METRICS_TOKEN, Api, codes, running_api
from support.processes import free_port

SIGNED_IN = ("patient", "shapes-patient")


async def post_raw(api: Api, body: str, *, token: bool = True) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {api.token(*SIGNED_IN)}"
    return await api.client.post("/graphql", content=body, headers=headers)


def only_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    [code] = codes(body)
    return code


@pytest.mark.parametrize("body", ['"{ viewer { role } }"', "1", "1.5", "null", "true", "[1]"])
async def test_a_body_that_is_not_a_json_object_is_a_clear_400(
    database_url: str, body: str
) -> None:
    async with running_api(database_url) as api:
        response = await post_raw(api, body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert only_code(response) == "BAD_REQUEST"
    assert "must be a JSON object" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("name", ["{}", '{"a": 1}', '["A"]', "[]", "1", "true"])
async def test_an_operation_name_that_is_not_a_string_is_a_clear_400(
    database_url: str, name: str
) -> None:
    async with running_api(database_url) as api:
        response = await post_raw(
            api, f'{{"query": "query A {{ viewer {{ role }} }}", "operationName": {name}}}'
        )
        after = await post_raw(
            api, '{"query": "query A { viewer { role } }", "operationName": "A"}'
        )
        exposition = (await api.client.get("/metrics")).text
    assert response.status_code == 400
    assert only_code(response) == "BAD_REQUEST"
    message = response.json()["errors"][0]["message"]
    assert "operationName" in message
    assert "unhashable" not in message
    assert after.json() == {
        "data": {"viewer": {"role": "PATIENT"}},
        "extensions": after.json()["extensions"],
    }
    assert 'graphql_requests_total{kind="query",operation="A"} 1.0' in exposition


async def test_operation_names_label_the_metrics_only_for_valid_operations_of_signed_in_callers(
    database_url: str,
) -> None:
    async with running_api(database_url) as api:
        await post_raw(api, '{"query": "query Anonymous1 { __typename }"}', token=False)
        await post_raw(api, '{"query": "query Invalid1 { nothingHere }"}')
        await post_raw(api, '{"query": "query Mine { viewer { role } }"}')
        exposition = (await api.client.get("/metrics")).text
    assert "Anonymous1" not in exposition
    assert "Invalid1" not in exposition
    assert 'operation="Mine"' in exposition
    assert 'graphql_requests_total{kind="query",operation="other"} 2.0' in exposition


async def test_production_serves_metrics_on_the_public_port_only_with_the_token(
    database_url: str,
) -> None:
    async with running_api(database_url, app_env="production") as api:
        without = await api.client.get("/metrics")
        wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await api.client.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert without.status_code == wrong.status_code == 401
    assert "graphql_requests" not in without.text
    assert right.status_code == 200
    assert "graphql_requests" in right.text


async def test_with_a_metrics_port_metrics_leave_the_public_port(database_url: str) -> None:
    port = free_port()
    async with running_api(database_url, app_env="production", metrics_port=port) as api:
        public = await api.client.get("/metrics")
        async with httpx.AsyncClient() as client:
            private = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert public.status_code == 404
    assert private.status_code == 200
    assert "outbox_undispatched" in private.text
