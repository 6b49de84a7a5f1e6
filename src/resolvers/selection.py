"""Questions about what an operation selected, answered before loading data."""

from collections.abc import Iterable

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved asks for the sub-field ``name``."""
    return any(
        child.name == name for field in info.selected_fields for child in _fields(field.selections)
    )
