"""At most MAX_BATCH appointment requests per operation, however many fields carry them.

``requestAppointments`` refuses a batch of more than MAX_BATCH items by itself, but thirty
aliases of it would each pass. Before anything runs, this counts the requests of every
root field of the mutation (aliases, fragments and directives included: a field that
``@skip`` leaves out is counted all the same) and refuses the whole operation past the
limit, so that nothing of it is stored.
"""

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from application.requesting import MAX_BATCH
from resolvers.errors import ClientError, ErrorCode


def appointment_requests(
    document: DocumentNode, operation_name: str | None, variables: dict[str, object] | None
) -> list[int]:
    """How many appointments each root field of the mutation named ``operation_name`` asks
    for (fields that ask for none left out)."""
    operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.MUTATION:
        return []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counts = []
    for field in _root_fields(operation.selection_set, fragments):
        if field.name.value == "requestAppointment":
            counts.append(1)
        elif field.name.value == "requestAppointments":
            counts.append(_items(field, variables or {}))
    return counts


def refusal(counts: list[int]) -> ClientError | None:
    """Past the limit, the operation is refused; a single batch too large is left to
    ``requestAppointments``, which answers each of its items with BATCH_TOO_LARGE."""
    if sum(counts) <= MAX_BATCH or len(counts) < 2:
        return None
    return too_many_requests(sum(counts))


def too_many_requests(count: int) -> ClientError:
    return ClientError(
        f"The operation asks for {count} appointments; one operation may ask for at most "
        f"{MAX_BATCH}, however many fields carry them.",
        ErrorCode.TOO_MANY_APPOINTMENT_REQUESTS,
        requests=count,
        maximum=MAX_BATCH,
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    pending, spread = [selection_set], set[str]()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # Validation refuses a spread used twice in a cycle; once is enough here.
                if name not in spread and name in fragments:
                    spread.add(name)
                    pending.append(fragments[name].selection_set)


def _items(field: FieldNode, variables: dict[str, object]) -> int:
    argument = next((a for a in field.arguments or () if a.name.value == "input"), None)
    if argument is None:
        return 0
    value = value_from_ast_untyped(argument.value, variables)
    wanted = value.get("appointments") if isinstance(value, dict) else None
    if isinstance(wanted, list):
        return len(wanted)
    # GraphQL reads a single value where a list is expected as a list of one.
    return 0 if wanted is None else 1


class AppointmentRequestLimit(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None:
            variables = context.variables if isinstance(context.variables, dict) else None
            refused = refusal(appointment_requests(document, context.operation_name, variables))
            if refused is not None:
                context.result = ExecutionResult(data=None, errors=[refused])
        yield
