"""The static cost of an operation, known from the parsed document before anything runs.

The model follows the public APIs that price operations (GitHub, Shopify), fitted to this
schema:

- a field that returns an object costs 1 plus its selection; scalars and enums cost nothing,
  except a connection's ``totalCount``, which runs a count of its own (1);
- a connection costs 1 plus, for every item of the page it may return, the cost of its
  ``edges`` or ``nodes`` selection (an edge wrapper itself is free). The page is ``last``,
  else ``first``, else the default page size, never more than the maximum page size, read
  from literals or variables (their defaults included). Nested connections multiply;
- a plain list of objects (``[T!]!``) costs its bound times one item, like a page: the
  bound comes from the rules that fill the list (``resolvers/list_bounds.py``: the status
  machine for ``history``, the profile limits for ``workingHours``, window ÷ step for
  ``availableSlots``); a list of scalars (``specialties``) comes with its row, free;
- a mutation field also costs 1 per item of the lists its arguments carry: a batch of 100
  requests costs about what 100 single requests do;
- fragments cost what they select where they are spread; a fragment spread inside itself
  counts once (validation refuses the cycle anyway); the branches of an abstract type are
  added up, an upper bound;
- ``__typename`` is free; ``__schema`` and ``__type`` cost 1 (graphql-core's introspection
  depth rule already bounds them).
"""

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from resolvers.errors import ClientError, ErrorCode
from resolvers.list_bounds import Arguments, ListBounds

COST_RESULT_KEY = "cost"
DEFAULT_BOUNDS = ListBounds()


@dataclass(frozen=True, slots=True)
class PageSizes:
    default: int = DEFAULT_PAGE_SIZE
    maximum: int = MAX_PAGE_SIZE


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, object] | None = None,
    pages: PageSizes = PageSizes(),
    bounds: ListBounds = DEFAULT_BOUNDS,
) -> int:
    """The cost of ``operation`` (one of ``document``'s) run with ``variables``."""
    return _CostWalker(schema, document, operation, variables or {}, pages, bounds).total()


_ABSENT = object()


class _ReadVariables(dict[str, Any]):
    """The variables, remembering each one the walk reads (it reads them only by ``get``)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: dict[str, Any] = {}

    def get(self, name: str, default: Any = None) -> Any:
        self.read[name] = super().get(name, _ABSENT)
        return super().get(name, default)


@dataclass(slots=True)
class _Priced:
    operation: OperationDefinitionNode
    # Each cost found, with the values of the variables its walk read.
    costs: list[tuple[dict[str, Any], int]]


class Prices:
    """Costs already computed, by operation: a cost depends on the document and on the few
    variables the walk reads (page sizes, list lengths), so a request that gives those the
    same values costs what an earlier one did, without walking the document again.
    Bounded, least recently used first out; keyed by the operation node's identity, which
    the parser's cache keeps for every request with the same text."""

    def __init__(self, size: int = 256, per_operation: int = 8) -> None:
        self._size = size
        self._per_operation = per_operation
        self._known: OrderedDict[int, _Priced] = OrderedDict()

    def cost(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, object] | None,
        pages: PageSizes,
        bounds: ListBounds,
    ) -> int:
        priced = self._known.get(id(operation))
        if priced is None or priced.operation is not operation:
            priced = _Priced(operation, [])
            self._known[id(operation)] = priced
            if len(self._known) > self._size:
                self._known.popitem(last=False)
        else:
            self._known.move_to_end(id(operation))
        given = variables or {}
        for read, cost in priced.costs:
            if all(given.get(name, _ABSENT) == value for name, value in read.items()):
                return cost
        walker = _CostWalker(schema, document, operation, given, pages, bounds)
        cost = walker.total()
        priced.costs.insert(0, (walker.given_reads(), cost))
        del priced.costs[self._per_operation :]
        return cost


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, object],
        pages: PageSizes,
        bounds: ListBounds,
    ) -> None:
        self._schema = schema
        self._bound = bounds.resolver()
        self._operation = operation
        self._pages = pages
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        self._given = variables
        self._variables = _ReadVariables({**defaults, **variables})
        self._mutation_root = schema.get_root_type(OperationType.MUTATION)
        # Keyed by (fragment, page of the enclosing connection): linear time even for a
        # document that spreads the same fragments many times over.
        self._fragment_costs: dict[tuple[str, int | None], int] = {}
        self._open_fragments: set[str] = set()

    def given_reads(self) -> dict[str, Any]:
        """The variables the walk read, as the request gave them (absent ones included):
        with the operation's defaults, which never change, they decide what it read."""
        return {name: self._given.get(name, _ABSENT) for name in self._variables.read}

    def total(self) -> int:
        root = self._schema.get_root_type(self._operation.operation)
        return self._selections(self._operation.selection_set, root, None)

    def _selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, page: int | None
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                inner = self._type_of(selection.type_condition, parent)
                total += self._selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(selection.name.value, page)
        return total

    def _spread(self, name: str, page: int | None) -> int:
        key = (name, page)
        known = self._fragment_costs.get(key)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open_fragments:
            return 0
        self._open_fragments.add(name)
        try:
            parent = self._type_of(fragment.type_condition, None)
            cost = self._selections(fragment.selection_set, parent, page)
        finally:
            self._open_fragments.discard(name)
        self._fragment_costs[key] = cost
        return cost

    def _field(self, field: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> int:
        name = field.name.value
        if name == "__typename":
            return 0
        if name.startswith("__"):
            return 1
        definition = _field_definition(parent, name)
        if definition is None:
            return 0
        carried = _list_items(field, self._variables) if parent is self._mutation_root else 0
        returned = get_named_type(definition.type)
        if field.selection_set is None or not _has_fields(returned):
            return carried + (1 if name == "totalCount" and page is not None else 0)
        if _is_connection(returned):
            return carried + 1 + self._selections(field.selection_set, returned, self._page(field))
        item = (0 if _is_edge(returned) else 1) + self._selections(
            field.selection_set, returned, None
        )
        if page is not None and name in ("edges", "nodes"):
            return carried + page * item
        if is_list_type(get_nullable_type(definition.type)) and parent is not None:
            return carried + self._bound(parent.name, name, self._arguments(field)) * item
        return carried + item

    def _arguments(self, field: FieldNode) -> Arguments:
        return {
            argument.name.value: value_from_ast_untyped(argument.value, self._variables)
            for argument in field.arguments or ()
        }

    def _type_of(
        self, condition: NamedTypeNode | None, fallback: GraphQLNamedType | None
    ) -> GraphQLNamedType | None:
        if condition is None:
            return fallback
        return self._schema.get_type(condition.name.value)

    def _page(self, field: FieldNode) -> int:
        asked = [
            size
            for size in (self._int_argument(field, "first"), self._int_argument(field, "last"))
            if size is not None
        ]
        size = max(asked) if asked else self._pages.default
        return max(0, min(size, self._pages.maximum))

    def _int_argument(self, field: FieldNode, name: str) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self._variables.get(value.name.value)
                # A wrongly typed variable is refused when it is coerced; it prices as absent.
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
        return None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _has_fields(named: GraphQLNamedType) -> bool:
    # Unions count too: their members' fields are reached through fragments.
    return not is_leaf_type(named)


def _is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= named.fields.keys()


def _is_edge(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and {"node", "cursor"} <= named.fields.keys()


def _list_items(field: FieldNode, variables: Mapping[str, object]) -> int:
    """How many list items the field's arguments carry, at any depth."""
    count = 0
    for value in _argument_values(field, variables):
        if isinstance(value, list):
            count += len(value)
    return count


def _argument_values(field: FieldNode, variables: Mapping[str, object]) -> Iterator[object]:
    # Iterative: a variable is a client-supplied JSON value of any depth.
    pending: list[ValueNode | object] = [argument.value for argument in field.arguments or ()]
    while pending:
        value = pending.pop()
        if isinstance(value, VariableNode):
            pending.append(variables.get(value.name.value))
        elif isinstance(value, ListValueNode):
            yield list(value.values)
            pending.extend(value.values)
        elif isinstance(value, ObjectValueNode):
            pending.extend(field_node.value for field_node in value.fields)
        elif isinstance(value, list):
            yield value
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


def too_costly(cost: int, maximum: int) -> ClientError:
    return ClientError(
        f"This operation would cost {cost}, more than the maximum of {maximum}: "
        "ask for smaller pages or fewer nested connections.",
        ErrorCode.QUERY_TOO_COSTLY,
        cost=cost,
        maximum=maximum,
    )


class OperationCost(SchemaExtension):
    """Prices the operation once it is known valid and refuses it over ``maximum``.

    The refusal happens at validation, so no resolver runs, over HTTP and websockets alike.
    Every response reports ``extensions.cost`` (``requested``, ``maximum``); the rate limit,
    when present, adds what it charged and what remains.
    """

    def __init__(
        self,
        *,
        maximum: int,
        pages: PageSizes = PageSizes(),
        bounds: ListBounds = DEFAULT_BOUNDS,
        prices: Prices | None = None,
    ) -> None:
        """``prices``: costs already found, shared by the requests (one per schema)."""
        self.maximum = maximum
        self.pages = pages
        self.bounds = bounds
        self.prices = prices or Prices()

    def on_operation(self) -> Iterator[None]:
        # Set before parsing, so that even a document that does not parse reports it.
        self.report: dict[str, Any] = {"requested": 0, "maximum": self.maximum}
        self.execution_context.extensions_results[COST_RESULT_KEY] = self.report
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            if context.pre_execution_errors is None:
                # Nothing validated before this extension: do it here, once, so that only
                # valid documents are priced (strawberry then skips its own validation).
                context.pre_execution_errors = validate_document(
                    context.schema._schema, document, context.validation_rules
                )
            if not context.pre_execution_errors:
                self._price(document)
        yield

    def _price(self, document: DocumentNode) -> None:
        context = self.execution_context
        operation = get_operation_ast(document, context.operation_name)
        if operation is None:
            return
        cost = self.prices.cost(
            context.schema._schema, document, operation, context.variables, self.pages, self.bounds
        )
        self.report["requested"] = cost
        if cost > self.maximum:
            context.pre_execution_errors = [too_costly(cost, self.maximum)]
