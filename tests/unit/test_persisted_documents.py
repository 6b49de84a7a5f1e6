"""Operations by hash: what is kept, what is refused, with which code."""

import hashlib
import json
from pathlib import Path

import pytest

from appointment_api.persisted_documents import (
    DocumentRefused,
    KnownDocuments,
    PersistedDocuments,
)
from infra.trusted_documents import load_trusted_documents

QUERY = "{ viewer { role } }"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def by_hash(query: str, version: object = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha(query)}}


def refusal(documents: PersistedDocuments, query: str | None, extensions: object) -> str:
    with pytest.raises(DocumentRefused) as refused:
        documents.resolve(query, extensions)
    return refused.value.code.value


def test_an_unknown_hash_is_not_found_until_the_query_comes_with_it() -> None:
    documents = PersistedDocuments()
    assert refusal(documents, None, by_hash(QUERY)) == "PERSISTED_QUERY_NOT_FOUND"
    assert documents.resolve(QUERY, by_hash(QUERY)) == QUERY
    assert documents.resolve(None, by_hash(QUERY)) == QUERY


def test_a_query_that_does_not_match_its_hash_is_neither_run_nor_kept() -> None:
    documents = PersistedDocuments()
    assert refusal(documents, "{ other }", by_hash(QUERY)) == "BAD_REQUEST"
    assert refusal(documents, None, by_hash(QUERY)) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": sha(QUERY)}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": "yes"},
    ],
)
def test_a_malformed_persisted_query_is_a_bad_request(extensions: dict[str, object]) -> None:
    assert refusal(PersistedDocuments(), None, extensions) == "BAD_REQUEST"


def test_only_the_most_recently_used_documents_are_kept() -> None:
    known = KnownDocuments(capacity=2)
    for name in ("a", "b", "c"):
        known.put(name, name)
    assert known.get("a") is None
    assert known.get("b") == "b"
    known.put("d", "d")
    assert known.get("c") is None
    assert known.get("b") == "b"


def test_a_long_query_is_run_but_not_kept() -> None:
    documents = PersistedDocuments(max_length=10)
    assert documents.resolve(QUERY, by_hash(QUERY)) == QUERY
    assert refusal(documents, None, by_hash(QUERY)) == "PERSISTED_QUERY_NOT_FOUND"


def test_trusted_documents_are_the_only_ones_served_and_nothing_is_added() -> None:
    documents = PersistedDocuments(trusted={sha(QUERY): QUERY})
    assert documents.resolve(None, by_hash(QUERY)) == QUERY
    assert documents.resolve(QUERY, None) == QUERY
    assert refusal(documents, "{ other }", None) == "OPERATION_NOT_TRUSTED"
    assert refusal(documents, "{ other }", by_hash("{ other }")) == "OPERATION_NOT_TRUSTED"
    assert refusal(documents, None, by_hash("{ other }")) == "PERSISTED_QUERY_NOT_FOUND"


def test_the_trusted_file_is_a_map_or_an_apollo_manifest_with_checked_hashes(
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({sha(QUERY): QUERY}))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha(QUERY), "name": "V", "type": "query", "body": QUERY}],
            }
        )
    )
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha("{ x }"): QUERY}))
    assert load_trusted_documents(plain) == load_trusted_documents(manifest) == {sha(QUERY): QUERY}
    with pytest.raises(ValueError, match="is not the SHA-256"):
        load_trusted_documents(wrong)
    with pytest.raises(ValueError, match="cannot read"):
        load_trusted_documents(tmp_path / "missing.json")
