"""GET queries as HTTP caches understand them: an ETag on every answer (a matching
If-None-Match gets 304 and no body), and ``Cache-Control: public`` for public data.

Public data is what every caller but an admin sees alike: psychologists, their profiles,
hours, booking settings and free slots. An operation is public when it reads nothing
else (no viewer, appointment, patient, time off, audit) and its caller is not an admin
(admins also see deactivated psychologists). Anything else is ``private``: a browser may
keep it, a shared cache may not. Either way the client revalidates after ``max-age``.
"""

import hashlib
from collections.abc import Iterator

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from resolvers.context import Context

PUBLIC_ROOT_FIELDS = frozenset({"psychologist", "psychologists", "__typename"})
# Fields of public types whose answer depends on who asks.
PRIVATE_FIELDS = frozenset(
    {
        ("Psychologist", "appointments"),
        ("Psychologist", "timeOff"),
        ("Psychologist", "scheduleChanges"),
    }
)


def reads_only_public_data(schema: GraphQLSchema, document: DocumentNode) -> bool:
    """Every operation of the document is a query of public root fields (named, not spread
    from a fragment), and nothing in it reads a private field."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations or any(op.operation is not OperationType.QUERY for op in operations):
        return False
    for operation in operations:
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode):
                return False
            if selection.name.value not in PUBLIC_ROOT_FIELDS:
                return False
    return not any(pair in PRIVATE_FIELDS for pair in _fields_read(schema, document))


def _fields_read(schema: GraphQLSchema, document: DocumentNode) -> Iterator[tuple[str, str]]:
    type_info = TypeInfo(schema)
    pairs: list[tuple[str, str]] = []

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                pairs.append((parent.name, node.name.value))

    visit(document, TypeInfoVisitor(type_info, Collect()))
    return iter(pairs)


class PublicAnswers(SchemaExtension):
    """Marks the HTTP request whose operation reads only public data, for a caller who
    sees it as everyone does."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if (
            isinstance(context, Context)
            and isinstance(context.request, Request)
            and context.viewer is not None
            and not context.viewer.is_admin
            and document is not None
        ):
            context.request.state.public_answer = reads_only_public_data(
                self.execution_context.schema._schema, document
            )
        yield


def etag_of(body: bytes) -> str:
    """Of the answer's data and errors: its extensions (the cost, the rate limit's points
    left) change with every request and are not the resource."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if isinstance(answer, dict):
        answer = {key: answer[key] for key in ("data", "errors") if key in answer}
    digest = hashlib.sha256(orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f'"{digest[:32]}"'


def cacheable(request: Request, response: Response, *, max_age: int) -> Response:
    """A successful GET answer with its validators; 304 when the client has it already."""
    body = getattr(response, "body", None)  # a streamed answer has none
    if request.method != "GET" or response.status_code != 200 or not isinstance(body, bytes):
        return response
    etag = etag_of(body)
    public = getattr(request.state, "public_answer", False)
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'public' if public else 'private'}, max-age={max_age}",
        # The same URL answers in two media types, and differently to each caller unless
        # public.
        "Vary": "Accept" if public else "Accept, Authorization",
    }
    if etag in _tags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _tags(if_none_match: str | None) -> set[str]:
    # Weak and strong forms compare alike for GET (RFC 9110 weak comparison).
    return {tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",")}
