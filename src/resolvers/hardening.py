"""Refuse abusive documents cheaply, before any resolver runs, each with its own code.

One extension, ``DocumentGuard``, takes over parsing and validation (it replaces strawberry's
``ParserCache``, ``ValidationCache`` and ``DisableIntrospection``):

- the parser itself stops at the maximum query length and token count, so an oversized
  document costs almost nothing (``QUERY_TOO_LARGE``, ``TOO_MANY_TOKENS``);
- depth, aliases and directives are measured on the parsed document before the validation
  rules run, so a document that would make validation expensive never reaches them
  (``QUERY_TOO_DEEP``, ``TOO_MANY_ALIASES``, ``TOO_MANY_DIRECTIVES``);
- introspection is refused with ``INTROSPECTION_DISABLED`` when turned off;
- "Did you mean ...?" suggestions are removed from messages when turned off, so that a
  production API does not reveal its schema field by field.

Parsed documents and validation verdicts are cached by query text, both bounded.
``hardening_extensions`` assembles it with the cost and rate-limit extensions, in order.
"""

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    ValidationRule,
    get_named_type,
    is_introspection_type,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult, StreamExecutionResult

from resolvers.document_limits import DocumentLimits, measure, shape_refusal
from resolvers.errors import ErrorCode
from resolvers.query_cost import OperationCost, PageSizes, Prices
from resolvers.rate_limit import OperationBudget, RateLimit


@dataclass(frozen=True, slots=True)
class EdgePolicy:
    """What the edge lets through; the composition root fills it from the settings."""

    max_query_length: int = 20_000
    max_tokens: int = 1_000
    max_depth: int = 12
    max_aliases: int = 30
    max_directives: int = 50
    max_cost: int = 5_000
    # Rate-limit points per operation: ceil(cost / cost_per_point), at least 1.
    cost_per_point: int = 100
    introspection: bool = True
    suggestions: bool = True
    cache_size: int = 256

    @property
    def document_limits(self) -> DocumentLimits:
        return DocumentLimits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_directives=self.max_directives,
        )


ExtensionFactory = Callable[[], SchemaExtension]


def hardening_extensions(
    policy: EdgePolicy, *, budget: OperationBudget | None = None
) -> list[ExtensionFactory]:
    """The edge's extensions, in the order they must run; add them after the others."""
    parser = _Parser(policy)
    verdicts = _Verdicts(policy)
    prices = Prices()
    factories: list[ExtensionFactory] = [
        lambda: DocumentGuard(policy, parser, verdicts),
        lambda: OperationCost(maximum=policy.max_cost, pages=PageSizes(), prices=prices),
    ]
    if budget is not None:
        factories.append(lambda: RateLimit(budget, cost_per_point=policy.cost_per_point))
    return factories


class DocumentGuard(SchemaExtension):
    def __init__(self, policy: EdgePolicy, parser: "_Parser", verdicts: "_Verdicts") -> None:
        self.policy = policy
        self.parser = parser
        self.verdicts = verdicts

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # When this extension's own parse fails, strawberry parses again with these options
        # and reports the error (recoded in on_parse).
        options: dict[str, Any] = context.parse_options  # type: ignore[assignment]
        options.update(self.parser.options)
        try:
            yield
        except GraphQLError as error:
            # Another extension parsed and raised: still give the error its code.
            _recode_parse_limit(error, self.policy)
            raise
        result = context.result
        if result is not None and result.errors and not self.policy.suggestions:
            # Errors raised while executing (variable coercion) may carry suggestions too.
            result.errors = [_without_suggestions(error) for error in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Over websockets each result leaves as soon as it is yielded, before on_operation
        # ends: strip suggestions here too.
        if not self.policy.suggestions and isinstance(result, ExecutionResult) and result.errors:
            result.errors = [_without_suggestions(error) for error in result.errors]
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        failure: GraphQLError | None = None
        if context.graphql_document is None and context.query:
            parsed = self.parser.parse(context.query)
            if isinstance(parsed, GraphQLError):
                # Strawberry parses again: let it fail at once, its error becomes this one.
                failure = parsed
                options: dict[str, Any] = context.parse_options  # type: ignore[assignment]
                options["max_source_length"] = 0
            else:
                context.graphql_document = parsed
        yield
        if context.graphql_document is None:
            for error in context.pre_execution_errors or ():
                # Strawberry answers with this very error object: change it where it is,
                # unless a later extension already made it a refusal of its own.
                if error.extensions and "code" in error.extensions:
                    continue
                if failure is not None:
                    _become(error, failure)
                else:
                    _recode_parse_limit(error, self.policy)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            rules = context.validation_rules
            if not self.policy.introspection:
                rules = (*rules, IntrospectionDisabled)
            context.pre_execution_errors = self.verdicts.errors(
                context.schema._schema, context.query, document, rules
            )
        yield


class _Parser:
    """Parses within the limits; documents and failures are cached by query text."""

    def __init__(self, policy: EdgePolicy) -> None:
        self._policy = policy
        self.options: dict[str, int] = {
            "max_source_length": policy.max_query_length,
            "max_lexical_tokens": policy.max_tokens,
            "max_comments": policy.max_tokens,
        }
        self.parse: Callable[[str], DocumentNode | GraphQLError] = lru_cache(
            maxsize=policy.cache_size
        )(self._parse)

    def _parse(self, query: str) -> DocumentNode | GraphQLError:
        try:
            return parse(
                query,
                max_source_length=self._policy.max_query_length,
                max_lexical_tokens=self._policy.max_tokens,
                max_comments=self._policy.max_tokens,
            )
        except GraphQLError as error:
            _recode_parse_limit(error, self._policy)
            # Kept without its traceback, which would keep the parser's frames alive.
            return GraphQLError(
                error.message,
                source=error.source,
                positions=error.positions,
                extensions=error.extensions,
            )


class _Verdicts:
    """Validation errors by query text: the shape limits first, then the validation rules."""

    def __init__(self, policy: EdgePolicy) -> None:
        self._policy = policy
        self._limits = policy.document_limits
        self._known: OrderedDict[
            tuple[GraphQLSchema, str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
        ] = OrderedDict()

    def errors(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        # Keyed by text, not by document: hashing a document walks all of it.
        key = (schema, query, rules)
        known: list[GraphQLError] | None = self._known.get(key)
        if known is not None:
            self._known.move_to_end(key)
            return list(known)
        refusal = shape_refusal(measure(document), self._limits)
        errors: list[GraphQLError] = (
            [refusal] if refusal is not None else validate_document(schema, document, rules)
        )
        if not self._policy.suggestions:
            errors = [_without_suggestions(error) for error in errors]
        self._known[key] = errors
        if len(self._known) > self._policy.cache_size:
            self._known.popitem(last=False)
        return list(errors)


class IntrospectionDisabled(ValidationRule):
    """``__schema`` and ``__type`` are refused; ``__typename`` stays allowed."""

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent, field_type = self.context.get_parent_type(), self.context.get_type()
        if parent is not None and is_introspection_type(parent):
            return  # refused once, where introspection starts
        if field_type is not None and is_introspection_type(get_named_type(field_type)):
            self.report_error(
                GraphQLError(
                    "Introspection is disabled on this server.",
                    node,
                    extensions={"code": ErrorCode.INTROSPECTION_DISABLED.value},
                )
            )


_PARSE_LIMITS = (
    ("Source contains more than", ErrorCode.QUERY_TOO_LARGE),
    ("Document contains more than", ErrorCode.TOO_MANY_TOKENS),
    ("Document is nested too deeply", ErrorCode.QUERY_TOO_DEEP),
)


def _recode_parse_limit(error: GraphQLError, policy: EdgePolicy) -> None:
    if error.extensions and "code" in error.extensions:
        return
    for prefix, code in _PARSE_LIMITS:
        if prefix in error.message:
            error.message = _parse_limit_message(code, policy)
            error.extensions = {"code": code.value}
            return


def _become(error: GraphQLError, original: GraphQLError) -> None:
    error.message = original.message
    error.source, error.positions = original.source, original.positions
    error.locations, error.nodes = original.locations, None
    error.extensions = original.extensions


def _parse_limit_message(code: ErrorCode, policy: EdgePolicy) -> str:
    if code is ErrorCode.QUERY_TOO_LARGE:
        return f"The query is longer than {policy.max_query_length} characters."
    if code is ErrorCode.TOO_MANY_TOKENS:
        return f"The query holds more than {policy.max_tokens} tokens."
    return "The query is nested too deeply."


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )
