"""schema/subscriptions holds a valid example operation for every subscription."""

from pathlib import Path

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse, validate

from resolvers.schema import build_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "schema" / "subscriptions"


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.graphql"))


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.name)
def test_each_example_is_valid_against_the_schema(path: Path) -> None:
    schema = build_schema()._schema
    assert validate(schema, parse(path.read_text())) == []


def test_every_subscription_has_an_example() -> None:
    schema = build_schema()._schema
    assert schema.subscription_type is not None
    used = {
        selection.name.value
        for path in example_files()
        for definition in parse(path.read_text()).definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    }
    assert set(schema.subscription_type.fields) <= used
