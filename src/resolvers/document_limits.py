"""The shape of a parsed document (depth, aliases, directives) and the limits put on it.

Measured in one pass that prices every fragment once, so a document that spreads the same
fragments over and over (a "fragment bomb") takes linear time to measure, not exponential;
a fragment spread inside itself counts once (validation refuses the cycle anyway).
"""

from dataclasses import dataclass

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from resolvers.errors import ClientError, ErrorCode


@dataclass(frozen=True, slots=True)
class DocumentShape:
    # Levels of nested selections below the operation: `{ viewer { subject } }` is 1 deep.
    # Introspection fields add none (graphql-core's introspection depth rule bounds them).
    depth: int
    # Aliased fields, counted every time a fragment holding one is spread.
    aliases: int
    # Directives as written, each definition read once.
    directives: int


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    max_directives: int


def measure(document: DocumentNode) -> DocumentShape:
    return _Measure(document).shape()


def shape_refusal(shape: DocumentShape, limits: DocumentLimits) -> ClientError | None:
    if shape.depth > limits.max_depth:
        return ClientError(
            f"The operation is nested {shape.depth} levels deep; the maximum is "
            f"{limits.max_depth}.",
            ErrorCode.QUERY_TOO_DEEP,
            depth=shape.depth,
            maximum=limits.max_depth,
        )
    if shape.aliases > limits.max_aliases:
        return ClientError(
            f"The operation uses {shape.aliases} aliases; the maximum is {limits.max_aliases}.",
            ErrorCode.TOO_MANY_ALIASES,
            aliases=shape.aliases,
            maximum=limits.max_aliases,
        )
    if shape.directives > limits.max_directives:
        return ClientError(
            f"The document holds {shape.directives} directives; the maximum is "
            f"{limits.max_directives}.",
            ErrorCode.TOO_MANY_DIRECTIVES,
            directives=shape.directives,
            maximum=limits.max_directives,
        )
    return None


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self._document = document
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._measured: dict[str, tuple[int, int]] = {}
        self._open: set[str] = set()

    def shape(self) -> DocumentShape:
        depth = aliases = directives = 0
        for definition in self._document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                below, aliased = self._selections(definition.selection_set)
                depth = max(depth, below)
                aliases += aliased
                directives += len(definition.directives or ())
                directives += sum(
                    len(variable.directives or ())
                    for variable in definition.variable_definitions or ()
                )
                directives += _directives_in(definition.selection_set)
            elif isinstance(definition, FragmentDefinitionNode):
                directives += len(definition.directives or ())
                directives += _directives_in(definition.selection_set)
        return DocumentShape(depth=depth, aliases=aliases, directives=directives)

    def _selections(self, selection_set: SelectionSetNode) -> tuple[int, int]:
        """(levels of nesting below this selection set, aliases in it)."""
        depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is None:
                    continue
                below, aliased = self._selections(selection.selection_set)
                aliases += aliased
                if not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                below, aliased = self._selections(selection.selection_set)
                depth, aliases = max(depth, below), aliases + aliased
            elif isinstance(selection, FragmentSpreadNode):
                below, aliased = self._spread(selection.name.value)
                depth, aliases = max(depth, below), aliases + aliased
        return depth, aliases

    def _spread(self, name: str) -> tuple[int, int]:
        known = self._measured.get(name)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0, 0
        self._open.add(name)
        try:
            measured = self._selections(fragment.selection_set)
        finally:
            self._open.discard(name)
        self._measured[name] = measured
        return measured


def _directives_in(selection_set: SelectionSetNode) -> int:
    count = 0
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            directives: tuple[DirectiveNode, ...] = selection.directives or ()
            count += len(directives)
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return count
