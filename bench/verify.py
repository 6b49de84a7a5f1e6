"""Before measuring: both servers give the same, full answer for every case."""

import urllib.request
from typing import Any

import orjson

from bench.operations import Case
from bench.processes import BenchError

PAGE_SIZE = 20


def post(url: str, body: bytes, token: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - our own servers, over http
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer: bytes = response.read()
        return answer


def edges_of(answer: Any) -> list[Any]:
    edges: list[Any] = answer["data"]["appointments"]["edges"]
    return edges


def same_answers(case: Case, api_url: str, floor_url: str, token: str) -> dict[str, int]:
    """Each server's answer size in bytes, once the answers match; raises otherwise."""
    api_raw, floor_raw = post(api_url, case.body, token), post(floor_url, case.body, token)
    api, floor = orjson.loads(api_raw), orjson.loads(floor_raw)
    if "errors" in api or len(edges_of(api)) != PAGE_SIZE:
        raise BenchError(f"{case.name}: the API did not answer a full page:\n{api_raw[:2000]!r}")
    if api != floor:
        raise BenchError(
            f"{case.name}: the floor's JSON differs from the API's:\n"
            f"API:   {api_raw[:1500]!r}\nfloor: {floor_raw[:1500]!r}"
        )
    return {"API": len(api_raw), "floor": len(floor_raw)}


def starts_where_expected(case: Case, api_url: str, token: str) -> None:
    """A page whose start the data fixes (the deep page) begins there."""
    if case.first_id is None:
        return
    first = edges_of(orjson.loads(post(api_url, case.body, token)))[0]["node"]["id"]
    if first != case.first_id:
        raise BenchError(f"{case.name}: starts at {first}, expected {case.first_id}")
