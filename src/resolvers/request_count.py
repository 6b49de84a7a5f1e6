"""At most MAX_BATCH appointment requests per operation, however many fields carry them.

``requestAppointments`` refuses a batch of more than MAX_BATCH items by itself, but thirty
aliases of it would each pass. Before anything runs, this counts the requests of every
root field of the mutation (aliases, fragments and directives included: a field that
``@skip`` leaves out is counted all the same) and refuses the whole operation past the
limit, so that nothing of it is stored.
"""

from collections.abc import Iterator

from graphql import DocumentNode, FieldNode, OperationType, value_from_ast_untyped
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from application.requesting import MAX_BATCH
from resolvers.errors import ClientError, ErrorCode
from resolvers.root_fields import operation_named, root_fields


def appointment_requests(
    document: DocumentNode, operation_name: str | None, variables: dict[str, object] | None
) -> list[int]:
    """How many appointments each root field of the mutation named ``operation_name`` asks
    for (fields that ask for none left out)."""
    operation = operation_named(document, operation_name)
    if operation is None or operation.operation is not OperationType.MUTATION:
        return []
    counts = []
    for field in root_fields(document, operation):
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
