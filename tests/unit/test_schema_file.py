"""schema/schema.graphql is what the code exports: a stale file fails here."""

from pathlib import Path

from resolvers.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_the_committed_schema_is_what_the_code_exports() -> None:
    exported = build_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == exported, (
        "schema/schema.graphql is stale: run `make schema` and commit the result"
    )
