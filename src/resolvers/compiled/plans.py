"""Compiled plans: a validated query turned, once, into its statements and a shaping function.

A plan is made per (operation, values of the variables its ``@skip``/``@include`` read) and
kept in a bounded cache. Per request it coerces the root fields' arguments with
graphql-core's and Strawberry's own functions, reads the rows and shapes the answer. Any
root field the compiler does not know, any directive but ``@skip``/``@include``, makes the
operation run on the executor as before.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_subfields
from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments

from domain.listing import AppointmentFilter
from resolvers.compiled.connections import (
    EMPTY_PAGE,
    CompiledConnection,
    CompiledRow,
    compile_appointment,
    compile_connection,
    page_query,
)
from resolvers.compiled.shapes import (
    FallBack,
    Layout,
    NotCompilable,
    ObjectFields,
    entity_spec,
    link,
)
from resolvers.context import Context
from resolvers.node_ids import expect_global_id, from_global_id
from resolvers.types.connections import unpinned

if TYPE_CHECKING:
    from graphql.execution.executor import Executor

    AnyExecutor = Executor[Any]

SKIP_INCLUDE = frozenset({"skip", "include"})


class ExecutionPaths(Protocol):
    def served(self, path: str) -> None:
        """Count one operation served by ``compiled`` or by the ``executor``."""
        ...


COMPILED = "compiled"
EXECUTOR = "executor"


class RootStep(Protocol):
    def run(self, executor: "AnyExecutor", context: Context) -> Awaitable[object]: ...


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[tuple[str, RootStep], ...]

    async def run(self, executor: "AnyExecutor", context: Context) -> dict[str, object]:
        answer: dict[str, object] = {}
        for key, step in self.steps:
            answer[key] = await step.run(executor, context)
        return answer


@dataclass(frozen=True, slots=True)
class Typename:
    name: str

    async def run(self, executor: "AnyExecutor", context: Context) -> object:
        return self.name


class Arguments:
    """A root field's arguments, coerced per request as the executor coerces them."""

    def __init__(self, executor: "AnyExecutor", field: GraphQLField, details: FieldDetailsList):
        self.field = field
        self.node = details[0].node
        self.fragment_variables = details[0].fragment_variable_values
        strawberry_field = field.extensions.get("strawberry-definition")
        if strawberry_field is None:
            raise NotCompilable("a field Strawberry did not define")
        if strawberry_field.extensions or strawberry_field.permission_classes:
            raise NotCompilable("a field with extensions or permissions")
        strawberry_schema = executor.schema._strawberry_schema  # type: ignore[attr-defined]
        self.strawberry_arguments = strawberry_field.arguments
        self.scalars = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config

    def read(self, executor: "AnyExecutor") -> dict[str, Any]:
        values = get_argument_values(
            self.field,
            self.node,
            executor.variable_values,
            self.fragment_variables,
            executor.hide_suggestions,
        )
        return convert_arguments(
            values, self.strawberry_arguments, scalar_registry=self.scalars, config=self.config
        )


class AppointmentsStep:
    """``appointments(...)`` at the root: the page the viewer may see."""

    def __init__(self, arguments: Arguments, compiled: CompiledConnection) -> None:
        self.arguments = arguments
        self.compiled = compiled

    async def run(self, executor: "AnyExecutor", context: Context) -> object:
        viewer = context.viewer
        if viewer is None:
            raise FallBack("no viewer")
        query = page_query(self.arguments.read(executor), viewer)
        compiled = self.compiled
        if query.wanted is None:
            page = EMPTY_PAGE
        else:
            page = await context.services.appointments.page_rows(
                viewer,
                query.wanted,
                query.order,
                query.request,
                compiled.columns,
                with_total=compiled.with_total,
            )
        return compiled.shape(page, query.ordering)


class AppointmentByIdStep:
    """``appointment(id)``, or ``node(id)`` when the id is an appointment's: null when the
    viewer may not see it, as the loader answers."""

    def __init__(self, arguments: Arguments, compiled: CompiledRow, *, node: bool) -> None:
        self.arguments = arguments
        self.compiled = compiled
        self.node = node

    async def run(self, executor: "AnyExecutor", context: Context) -> object:
        viewer = context.viewer
        if viewer is None:
            raise FallBack("no viewer")
        raw = self.arguments.read(executor)["id"]
        if self.node:
            type_name, key = from_global_id(raw, argument="id")
            if type_name != "Appointment":
                raise FallBack("a node of another type")
        else:
            key = expect_global_id(raw, "Appointment", argument="id")
        found = await context.services.appointments.rows_by_ids(
            viewer, [key], self.compiled.columns
        )
        row = found.get(key)
        return None if row is None else self.compiled.shape(row)


class PsychologistStep:
    """``psychologist(id)``: its row in one statement, and each appointments connection
    under it in one statement of its own."""

    def __init__(
        self,
        arguments: Arguments,
        columns: tuple[str, ...],
        shape: Callable[[Sequence[object]], dict[str, object]],
        keys: tuple[str, ...],
        nested: dict[str, tuple[Arguments, CompiledConnection]],
    ) -> None:
        self.arguments = arguments
        self.columns = columns
        self.shape = shape
        self.keys = keys
        self.nested = nested

    async def run(self, executor: "AnyExecutor", context: Context) -> object:
        viewer = context.viewer
        if viewer is None:
            raise FallBack("no viewer")
        key = expect_global_id(self.arguments.read(executor)["id"], "Psychologist", argument="id")
        services = context.services
        row = (await services.people.psychologist_rows([key], self.columns)).get(key)
        if row is None:
            return None
        own = self.shape(row)
        pages: dict[str, object] = {}
        for response_key, (arguments, compiled) in self.nested.items():
            query = page_query(
                arguments.read(executor), viewer, forced=AppointmentFilter(psychologist_id=key)
            )
            page = EMPTY_PAGE
            if query.wanted is not None:
                found = await services.appointments.pages_by_parent(
                    viewer,
                    "psychologist",
                    [key],
                    unpinned(query.wanted, "psychologist"),
                    query.order,
                    query.request,
                    compiled.columns,
                    with_total=compiled.with_total,
                )
                page = found[key]
            pages[response_key] = compiled.shape(page, query.ordering)
        return {k: pages[k] if k in pages else own[k] for k in self.keys}


def _psychologist(
    executor: "AnyExecutor", field: GraphQLField, details: FieldDetailsList, subfields: ObjectFields
) -> RootStep:
    object_type = field.type
    if not isinstance(object_type, GraphQLObjectType):
        raise NotCompilable("psychologist is not the nullable object it was")
    fields = subfields(object_type, details)
    nested: dict[str, tuple[Arguments, CompiledConnection]] = {}
    own: dict[str, FieldDetailsList] = {}
    for key, field_details in fields.items():
        name = field_details[0].node.name.value
        if name != "appointments":
            own[key] = field_details
            continue
        definition = object_type.fields[name]
        connection_type = definition.type
        if isinstance(connection_type, GraphQLNonNull):
            connection_type = connection_type.of_type
        if not isinstance(connection_type, GraphQLObjectType):
            raise NotCompilable("appointments is no object")
        nested[key] = (
            Arguments(executor, definition, field_details),
            compile_connection(connection_type, field_details, subfields),
        )
    layout = Layout(("Psychologist",))
    spec = entity_spec("Psychologist", object_type, own, subfields, layout, joins_allowed=False)
    shape = link(spec, layout)
    return PsychologistStep(
        Arguments(executor, field, details),
        layout.attributes("Psychologist"),
        shape,  # type: ignore[arg-type]
        tuple(fields),
        nested,
    )


RootCompiler = Callable[["AnyExecutor", GraphQLField, FieldDetailsList, ObjectFields], RootStep]


def _appointments(
    executor: "AnyExecutor", field: GraphQLField, details: FieldDetailsList, subfields: ObjectFields
) -> RootStep:
    connection_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(connection_type, GraphQLObjectType):
        raise NotCompilable("appointments is no object")
    return AppointmentsStep(
        Arguments(executor, field, details), compile_connection(connection_type, details, subfields)
    )


def _by_id(node: bool) -> RootCompiler:
    def compile_field(
        executor: "AnyExecutor",
        field: GraphQLField,
        details: FieldDetailsList,
        subfields: ObjectFields,
    ) -> RootStep:
        appointment = executor.schema.get_type("Appointment")
        if not isinstance(appointment, GraphQLObjectType) or isinstance(field.type, GraphQLNonNull):
            raise NotCompilable("appointment is not the nullable object it was")
        return AppointmentByIdStep(
            Arguments(executor, field, details),
            compile_appointment(appointment, details, subfields),
            node=node,
        )

    return compile_field


ROOT_COMPILERS: dict[str, RootCompiler] = {
    "appointments": _appointments,
    "appointment": _by_id(node=False),
    "node": _by_id(node=True),
    "psychologist": _psychologist,
}


def compile_plan(
    executor: "AnyExecutor", root_type: GraphQLObjectType, fields: dict[str, FieldDetailsList]
) -> Plan:
    schema, operation = executor.schema, executor.operation

    def subfields(object_type: GraphQLObjectType, details: FieldDetailsList) -> Any:
        collected = collect_subfields(
            schema,
            executor.fragments,
            executor.variable_values,
            operation,
            object_type,
            details,
            executor.hide_suggestions,
        )
        if collected.new_defer_usages:
            raise NotCompilable("@defer")
        return collected.grouped_field_set

    steps: list[tuple[str, RootStep]] = []
    for key, details in fields.items():
        name = details[0].node.name.value
        if name == "__typename":
            steps.append((key, Typename(root_type.name)))
            continue
        compiler = ROOT_COMPILERS.get(name)
        if compiler is None:
            raise NotCompilable(f"Query.{name} is not compiled")
        steps.append((key, compiler(executor, root_type.fields[name], details, subfields)))
    return Plan(tuple(steps))


@dataclass(slots=True)
class _Entry:
    operation: OperationDefinitionNode
    switches: tuple[str, ...] | None
    plans: dict[tuple[object, ...], Plan | None]


class PlanCache:
    """Plans by operation and by the values of its ``@skip``/``@include`` variables; an
    operation that cannot be compiled is remembered as such. Bounded, least recently used
    first out. Keyed by the operation node's identity: the parser's cache hands the same
    document to every request with the same text, and the entry keeps it alive."""

    def __init__(self, paths: ExecutionPaths | None = None, *, size: int = 256) -> None:
        self.paths = paths
        self._size = size
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    def served(self, path: str) -> None:
        if self.paths is not None:
            self.paths.served(path)

    def plan_for(
        self,
        executor: "AnyExecutor",
        root_type: GraphQLObjectType,
        fields: dict[str, FieldDetailsList],
    ) -> Plan | None:
        operation = executor.operation
        if operation.operation is not OperationType.QUERY:
            return None
        entry = self._entries.get(id(operation))
        if entry is None or entry.operation is not operation:
            entry = _Entry(operation, _switches(operation, executor.fragments), {})
            self._entries[id(operation)] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(id(operation))
        if entry.switches is None:
            return None
        coerced = executor.variable_values.coerced
        key = tuple(coerced.get(name) for name in entry.switches)
        if key in entry.plans:
            return entry.plans[key]
        try:
            plan: Plan | None = compile_plan(executor, root_type, fields)
        except NotCompilable:
            plan = None
        entry.plans[key] = plan
        return plan


def _switches(
    operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> tuple[str, ...] | None:
    """The variables the operation's ``@skip``/``@include`` read; None when it uses any other
    directive (the plan would not reproduce it)."""
    names: list[str] = []
    for directive in _directives(operation.selection_set, fragments, set()):
        if directive.name.value not in SKIP_INCLUDE:
            return None
        for argument in directive.arguments or ():
            if isinstance(argument.value, VariableNode):
                name = argument.value.name.value
                if name not in names:
                    names.append(name)
    return tuple(names)


def _directives(
    selection_set: SelectionSetNode, fragments: dict[str, Any], seen: set[str]
) -> Iterator[DirectiveNode]:
    for selection in selection_set.selections:
        yield from selection.directives or ()
        if isinstance(selection, FieldNode):
            if selection.selection_set is not None:
                yield from _directives(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _directives(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                seen.add(name)
                definition = fragment.definition
                yield from definition.directives or ()
                yield from _directives(definition.selection_set, fragments, seen)
