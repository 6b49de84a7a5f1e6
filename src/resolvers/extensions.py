"""Schema extensions: authentication before execution, and errors a client can act on."""

import logging
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types import StreamExecutionResult
from strawberry.types.graphql import OperationType

from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode, unauthenticated
from resolvers.root_fields import operation_named, root_fields
from resolvers.scalars import InvalidScalar

log = logging.getLogger("appointment_api.errors")

_INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


class OperationContext(SchemaExtension):
    """Gives each operation of a websocket connection a context of its own.

    Strawberry hands every operation of a connection the same context object;
    DataLoaders kept in it would cache values for the life of the connection.
    """

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.per_connection:
            self.execution_context.context = context.for_operation()
        yield


class SubscriptionsOverWebsockets(SchemaExtension):
    """A subscription sent over plain HTTP gets a clear refusal, not a half-run stream."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and not context.over_websocket
            and self.execution_context.operation_type is OperationType.SUBSCRIPTION
        ):
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    ClientError(
                        "Subscriptions are served over websockets at this same URL "
                        "(graphql-transport-ws or graphql-ws).",
                        ErrorCode.BAD_REQUEST,
                    )
                ],
            )
        yield


class RequireViewer(SchemaExtension):
    """Every operation needs a viewer, except pure introspection (GraphiQL's schema fetch)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and context.viewer is None
            and not self._introspection_only()
        ):
            self.execution_context.result = ExecutionResult(data=None, errors=[unauthenticated()])
        yield

    def _introspection_only(self) -> bool:
        """Whether every root field of the operation, fragments opened, is introspection."""
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return False
        operation = operation_named(document, context.operation_name)
        return operation is not None and all(
            field.name.value in _INTROSPECTION_FIELDS for field in root_fields(document, operation)
        )


def classify(error: GraphQLError, request_id: str) -> GraphQLError:
    """Give every error a code; mask everything that was not meant for the client."""
    if isinstance(error.original_error, ClientError):
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            path=error.path,
            extensions=error.original_error.extensions,
        )
    if error.extensions and "code" in error.extensions:
        return error
    if error.original_error is None or (
        error.path is None and isinstance(error.original_error, GraphQLError | InvalidScalar)
    ):
        # Parsing, validation and argument coercion: graphql-core's own messages, or the
        # scalar parsers' ones (wrapped in graphql-core's), all written for the client.
        # Any other exception is masked, with a path or without one.
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": _code_of_request_error(error).value},
        )
    if _statement_cancelled(error.original_error):
        log.warning(
            "statement timeout", exc_info=error.original_error, extra={"request_id": request_id}
        )
        return GraphQLError(
            "A database read took too long and was stopped: ask for less.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.TIMEOUT.value, "requestId": request_id},
        )
    log.error("unexpected error", exc_info=error.original_error, extra={"request_id": request_id})
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


# PostgreSQL's query_canceled: the statement timeout (or an operator) stopped it.
_QUERY_CANCELED = "57014"


def _statement_cancelled(error: BaseException | None) -> bool:
    """Read from the driver's error that SQLAlchemy wraps (``.orig``): the resolvers know
    no database library, only the SQLSTATE every PostgreSQL driver reports."""
    driver_error = getattr(error, "orig", None)
    return getattr(driver_error, "sqlstate", None) == _QUERY_CANCELED


_COERCION_MESSAGES = ("Variable ", "Expected value of type", "Argument ")


def _code_of_request_error(error: GraphQLError) -> ErrorCode:
    if isinstance(error, GraphQLSyntaxError):
        return ErrorCode.GRAPHQL_PARSE_FAILED
    if error.message.startswith(_COERCION_MESSAGES):
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.GRAPHQL_VALIDATION_FAILED


class ClassifyErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, StrawberryExecutionResult | ExecutionResult):
            self._classify(result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Over websockets each result is sent as soon as it is yielded, before the
        # operation ends: classify them one by one.
        if isinstance(result, StrawberryExecutionResult):
            self._classify(result)
        yield

    def _classify(self, result: StrawberryExecutionResult | ExecutionResult) -> None:
        if not result.errors:
            return
        context = self.execution_context.context
        request_id = context.request_id if isinstance(context, Context) else ""
        result.errors = [classify(error, request_id) for error in result.errors]
