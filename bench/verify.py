"""Before measuring: both servers give the same, full answer for every case."""

import urllib.request
from typing import Any

import orjson

from bench.errors import BenchError
from bench.operations import Case

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


def first_difference(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def same_answers(case: Case, api_url: str, floor_url: str, token: str) -> dict[str, int]:
    """Each server's answer size in bytes, once the answers' data match; raises otherwise."""
    api_raw, floor_raw = post(api_url, case.body, token), post(floor_url, case.body, token)
    api, floor = orjson.loads(api_raw), orjson.loads(floor_raw)
    if "errors" in api or len(edges_of(api)) != PAGE_SIZE:
        raise BenchError(f"{case.name}: the API did not answer a full page:\n{api_raw[:2000]!r}")
    # The API may add "extensions" (e.g. the query's cost); the data must be the same.
    if api["data"] != floor["data"]:
        at = first_difference(api_raw, floor_raw)
        raise BenchError(
            f"{case.name}: the floor's JSON differs from the API's at byte {at}:\n"
            f"API:   {api_raw[max(0, at - 300) : at + 300]!r}\n"
            f"floor: {floor_raw[max(0, at - 300) : at + 300]!r}"
        )
    return {"API": len(api_raw), "floor": len(floor_raw)}


def starts_where_expected(case: Case, api_url: str, token: str) -> None:
    """A page whose start the data fixes (the deep page) begins there."""
    if case.first_id is None:
        return
    first = edges_of(orjson.loads(post(api_url, case.body, token)))[0]["node"]["id"]
    if first != case.first_id:
        raise BenchError(f"{case.name}: starts at {first}, expected {case.first_id}")
