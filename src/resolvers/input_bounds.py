"""Bounds every string an operation carries, before any resolver runs.

Each field checks its own lengths (answered as ``userErrors``); this is the floor beneath
them all, for the arguments that have no such check and for what the databases refuse
whatever the field: PostgreSQL stores no NUL character in text, and SQLite refuses a
LIKE pattern past 50,000 bytes. Both the variables and the strings written into the
document are read, so no argument, filter, cursor or ID escapes it.
"""

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from resolvers.errors import ClientError, ErrorCode

# Longer than any text a field takes (notes and bios hold 2,000 characters).
MAX_STRING_LENGTH = 10_000


def input_refusal(document: DocumentNode | None, variables: object) -> ClientError | None:
    """Why the operation's input cannot be taken, or None."""
    for text in _strings(variables):
        if (refusal := _refusal(text)) is not None:
            return refusal
    if document is not None:
        return _literal_refusal(document)
    return None


class _Verdicts:
    """The documents whose literal strings are all acceptable: the parser's cache hands the
    same document to every request with the same text, so it is read once, not once per
    request (a refused one is read again, for an error of its own each time). Keyed
    by identity (hashing a document walks all of it); the entry keeps its document alive so
    that the identity stays its own. Bounded, oldest first out."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._accepted: OrderedDict[int, DocumentNode] = OrderedDict()

    def __call__(self, document: DocumentNode) -> ClientError | None:
        if self._accepted.get(id(document)) is document:
            return None
        finder = _LiteralStrings()
        visit(document, finder)
        if finder.refusal is None:
            self._accepted[id(document)] = document
            if len(self._accepted) > self._size:
                self._accepted.popitem(last=False)
        return finder.refusal


_literal_refusal = _Verdicts()


def _refusal(text: str) -> ClientError | None:
    if "\x00" in text:
        return ClientError(
            "Text may not hold the NUL character (U+0000).", ErrorCode.BAD_USER_INPUT
        )
    if len(text) > MAX_STRING_LENGTH:
        return ClientError(
            f"A text value holds {len(text)} characters; the maximum is {MAX_STRING_LENGTH}.",
            ErrorCode.BAD_USER_INPUT,
            maximum=MAX_STRING_LENGTH,
        )
    return None


def _strings(value: object) -> Iterator[str]:
    """Every string inside a JSON value, keys included; without recursion, so that a deeply
    nested value costs no stack."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


class _LiteralStrings(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.refusal: ClientError | None = None

    def enter_string_value(self, node: StringValueNode, *_: object) -> object:
        self.refusal = _refusal(node.value)
        return Visitor.BREAK if self.refusal is not None else None


class BoundedInput(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            refusal = input_refusal(context.graphql_document, context.variables)
            if refusal is not None:
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield
