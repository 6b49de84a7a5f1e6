"""Before measuring: every server gives the same, full answer for every case."""

import urllib.request
from typing import Any

import orjson

from bench.errors import BenchError
from bench.load import Target
from bench.operations import Case, from_global_id
from bench.postgraphile.peer import rows_of

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


def fetch(sent: Target) -> bytes:
    return post(sent.url, sent.body, sent.token)


def edges_of(answer: Any) -> list[Any]:
    edges: list[Any] = answer["data"]["appointments"]["edges"]
    return edges


def first_difference(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def same_data(case: Case, label: str, api: Target, floor: Target) -> tuple[int, int]:
    """The sizes in bytes of the API's and the floor's answers, once their data match and
    hold no error (and, for a page of Q1-Q3, a full page); raises otherwise."""
    api_raw, floor_raw = fetch(api), fetch(floor)
    answer, floor_answer = orjson.loads(api_raw), orjson.loads(floor_raw)
    if "errors" in answer or (case.full_page and len(edges_of(answer)) != PAGE_SIZE):
        raise BenchError(f"{case.name}: the {label} did not answer in full:\n{api_raw[:2000]!r}")
    # The API may add "extensions" (e.g. the query's cost); the data must be the same.
    if answer["data"] != floor_answer["data"]:
        at = first_difference(api_raw, floor_raw)
        raise BenchError(
            f"{case.name}: the floor's JSON differs from the {label}'s at byte {at}:\n"
            f"{label}: {api_raw[max(0, at - 300) : at + 300]!r}\n"
            f"floor: {floor_raw[max(0, at - 300) : at + 300]!r}"
        )
    return len(api_raw), len(floor_raw)


def page_rows(answer: Any) -> list[tuple[str, str, str]]:
    """(uuid, patient's name, psychologist's name) of each row of an API or floor page."""
    return [
        (
            str(from_global_id(e["node"]["id"])),
            e["node"]["patient"]["name"],
            e["node"]["psychologist"]["name"],
        )
        for e in edges_of(answer)
    ]


def same_rows_as_peer(case: Case, floor: Target, peer: Target) -> int:
    """PostGraphile's answer size, once its page holds the floor's rows in the floor's
    order (its ids and field names differ from the API's, so the rows are compared)."""
    peer_raw = fetch(peer)
    answer = orjson.loads(peer_raw)
    if "errors" in answer:
        raise BenchError(f"{case.name}: PostGraphile answered errors:\n{peer_raw[:2000]!r}")
    expected, found = page_rows(orjson.loads(fetch(floor))), rows_of(answer)
    if expected != found:
        raise BenchError(
            f"{case.name}: PostGraphile's rows differ from the floor's:\n"
            f"floor:        {expected[:3]}...\nPostGraphile: {found[:3]}..."
        )
    return len(peer_raw)


def starts_where_expected(case: Case, api: Target) -> None:
    """A page whose start the data fixes (the deep page) begins there."""
    if case.first_id is None:
        return
    first = edges_of(orjson.loads(fetch(api)))[0]["node"]["id"]
    if first != case.first_id:
        raise BenchError(f"{case.name}: starts at {first}, expected {case.first_id}")
