"""Operations sent by hash, as the real clients send them: Apollo Client's persisted-queries
link and urql's persisted exchange (npm, in Node) against the served app; GET answers
with their ETag and Cache-Control; the allow-list of trusted documents."""

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from js_client import js_script

from graphql_client import Api, codes, running_api

PATIENT = ("patient", "persisted-patient")
ADMIN = ("admin", "persisted-admin")
PSYCHOLOGISTS = "{ psychologists(first: 5) { nodes { name timeZone } } }"
VIEWER = "{ viewer { role } }"
CLIENT_TIMEOUT_SECONDS = 120


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


class _AddTypename(Visitor):
    def leave_selection_set(
        self, node: SelectionSetNode, _key: object, parent: object, *_: object
    ) -> SelectionSetNode | None:
        named = any(
            isinstance(s, FieldNode) and s.name.value == "__typename" for s in node.selections
        )
        if isinstance(parent, OperationDefinitionNode) or named:
            return None
        typename = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
        return SelectionSetNode(selections=(*node.selections, typename))


def client_forms(query: str) -> list[str]:
    """The document as each client sends it: printed (urql), and printed with a __typename
    in every selection but the root (Apollo Client, whose cache adds them); what a build
    step that extracts the trusted documents writes."""
    return [print_ast(parse(query)), print_ast(visit(parse(query), _AddTypename()))]


async def run_client(library: str, api: Api, *queries: str) -> dict[str, Any]:
    assert api.server is not None
    script = js_script("persisted.mjs")
    node = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        library,
        f"http://{api.server.address}/graphql",
        api.token(*PATIENT),
        *queries,
        cwd=script.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(CLIENT_TIMEOUT_SECONDS):
        out, err = await node.communicate()
    assert node.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize("library", ["apollo", "urql"])
async def test_the_clients_register_a_query_once_then_send_its_hash_alone_by_get(
    database_url: str, library: str
) -> None:
    async with running_api(database_url, listen=True) as api:
        await api.world.psychologists(2)
        seen = await run_client(library, api, PSYCHOLOGISTS)

    answers, exchanges = seen["answers"], seen["exchanges"]
    assert [a["error"] for a in answers] == [None, None], seen
    assert answers[0]["data"] == answers[1]["data"]
    assert len(answers[0]["data"]["psychologists"]["nodes"]) == 2
    # Unknown hash by GET, then the query with its hash (Apollo by POST, urql by GET), then
    # the hash alone by GET.
    assert [(e["method"], e["sentQuery"], e["codes"]) for e in exchanges] == [
        ("GET", False, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("POST" if library == "apollo" else "GET", True, []),
        ("GET", False, []),
    ], exchanges
    assert exchanges[-1]["status"] == 200


async def get(api: Api, query: str, who: tuple[str, str], **headers: str) -> httpx.Response:
    params = {
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}})
    }
    return await api.client.get(
        "/graphql", params=params, headers={"Authorization": f"Bearer {api.token(*who)}", **headers}
    )


async def register(api: Api, query: str) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    body = await api.query_with(query, extensions=extensions)
    assert "errors" not in body, body


async def test_a_get_answer_has_an_etag_and_the_same_answer_again_is_a_304(
    database_url: str,
) -> None:
    async with running_api(database_url, get_cache_seconds=30) as api:
        await api.world.psychologists(2)
        await register(api, PSYCHOLOGISTS)
        first = await get(api, PSYCHOLOGISTS, PATIENT)
        again = await get(api, PSYCHOLOGISTS, PATIENT, **{"If-None-Match": first.headers["ETag"]})
        await api.world.psychologists(1)
        changed = await get(api, PSYCHOLOGISTS, PATIENT, **{"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=30"
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert len(changed.json()["data"]["psychologists"]["nodes"]) == 3


async def test_only_public_data_is_public_to_caches(database_url: str) -> None:
    async with running_api(database_url) as api:
        for query in (PSYCHOLOGISTS, VIEWER):
            await register(api, query)
        public = await get(api, PSYCHOLOGISTS, PATIENT)
        viewer = await get(api, VIEWER, PATIENT)
        # An admin also sees deactivated psychologists: never a public answer.
        admin = await get(api, PSYCHOLOGISTS, ADMIN)

    assert public.headers["Cache-Control"].startswith("public")
    assert viewer.headers["Cache-Control"].startswith("private")
    assert "Authorization" in viewer.headers["Vary"]
    assert admin.headers["Cache-Control"].startswith("private")


async def test_a_hash_that_does_not_match_its_query_is_refused(database_url: str) -> None:
    async with running_api(database_url) as api:
        body = await api.query_with(
            VIEWER, extensions={"persistedQuery": {"version": 1, "sha256Hash": sha256("{ x }")}}
        )
    assert codes(body) == ["BAD_REQUEST"]


@pytest.fixture
def trusted_file(tmp_path: Path) -> Path:
    """A manifest as a build step writes it: each document as the clients print it."""
    path = tmp_path / "trusted.json"
    operations = [
        {"id": sha256(form), "name": "Psychologists", "type": "query", "body": form}
        for form in client_forms(PSYCHOLOGISTS)
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize("library", ["apollo", "urql"])
async def test_with_trusted_documents_only_those_are_served(
    database_url: str, trusted_file: Path, library: str
) -> None:
    async with running_api(
        database_url, listen=True, app_env="production", trusted_documents=trusted_file
    ) as api:
        await api.world.psychologists(1)
        seen = await run_client(library, api, PSYCHOLOGISTS, VIEWER)
        in_full = await api.query_with(VIEWER)
        by_hash = await api.query_with(None, extensions=persisted(client_forms(PSYCHOLOGISTS)[0]))

    trusted, _, untrusted, _ = seen["answers"]
    assert trusted["error"] is None
    assert len(trusted["data"]["psychologists"]["nodes"]) == 1
    assert untrusted["data"] is None
    assert "OPERATION_NOT_TRUSTED" in json.dumps(seen["exchanges"])
    # The trusted document by hash alone at once: nothing to register.
    assert seen["exchanges"][0]["codes"] == []
    assert codes(in_full) == ["OPERATION_NOT_TRUSTED"]
    assert "errors" not in by_hash, by_hash
