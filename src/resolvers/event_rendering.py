"""Render once, send many: one GraphQL execution per live event and group of subscribers.

Every subscriber of a channel is handed the same event object for one message (see
``live_feeds``), shaped once into the same GraphQL object here. Subscribers whose
operation (same document, hence same selection), variables and visibility (the viewer's
role and subject) are the same would compute the same answer for it: the first one
executes the selection, the others reuse its result, and the transport serialises that
result once (``appointment_api.live_frames``).

Visibility is exact: a result is shared only between viewers of the same role and
subject, so nothing rendered for one person reaches another, whatever their selections.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from graphql import ExecutionResult, OperationDefinitionNode, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

T = TypeVar("T")
U = TypeVar("U")

# Enough for every event of a burst across all channels; older ones are done with.
KEPT = 1024


class _IdentityCache:
    """Values remembered by the identity of a key object, which is held so its id stays its own."""

    def __init__(self, capacity: int = KEPT) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[int, tuple[object, object]] = OrderedDict()

    def get(self, key: object) -> object | None:
        entry = self._entries.get(id(key))
        return entry[1] if entry is not None and entry[0] is key else None

    def put(self, key: object, value: object) -> None:
        self._entries[id(key)] = (key, value)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        entry = self._entries.get(id(key))
        return entry is not None and entry[0] is key


_SHARED_EVENTS = _IdentityCache()
_SHAPED = _IdentityCache()
_SHARED_PAYLOADS = _IdentityCache()


def share(event: object) -> None:
    """``event`` is handed to many subscribers (a published one, not a state read for one)."""
    _SHARED_EVENTS.put(event, True)


def shaped_once(event: T, shape: Callable[[T], U]) -> U:
    """The GraphQL object for ``event``: the same object for every subscriber of a shared one."""
    if event not in _SHARED_EVENTS:
        return shape(event)
    found = _SHAPED.get(event)
    if found is not None:
        return found  # type: ignore[return-value]
    payload = shape(event)
    _SHAPED.put(event, payload)
    _SHARED_PAYLOADS.put(payload, True)
    return payload


@dataclass(frozen=True)
class _Rendering:
    payload: object
    operation: OperationDefinitionNode
    result: ExecutionResult | asyncio.Future[ExecutionResult]


_RENDERED: OrderedDict[Hashable, _Rendering] = OrderedDict()
_executions = 0


def executions() -> int:
    """How many times a shared event was executed since the process started (one per
    event and group of alike subscribers)."""
    return _executions


def _visibility(context: object) -> tuple[str, str] | None:
    viewer = getattr(context, "viewer", None)
    if viewer is None:
        return None
    return (str(viewer.role), str(viewer.subject))


def _variables_key(coerced: dict[str, Any]) -> bytes | None:
    try:
        return orjson.dumps(coerced, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return None


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with the per-event execution of subscriptions shared."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        operation = self.operation
        if operation.operation is not OperationType.SUBSCRIPTION or payload not in _SHARED_PAYLOADS:
            return super().execute_operation(serially)
        visibility = _visibility(self.context_value)
        variables = _variables_key(dict(getattr(self.variable_values, "coerced", {}) or {}))
        if visibility is None or variables is None:
            return super().execute_operation(serially)
        key = (id(payload), id(operation), variables, visibility)
        found = _RENDERED.get(key)
        if found is not None and found.payload is payload and found.operation is operation:
            return _reuse(found.result)
        global _executions
        _executions += 1
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            shared: asyncio.Future[ExecutionResult] = asyncio.ensure_future(result)
            _remember(key, _Rendering(payload, operation, shared))
            return _reuse(shared)
        if isinstance(result, ExecutionResult):
            _remember(key, _Rendering(payload, operation, result))
        return result


def _remember(key: Hashable, rendering: _Rendering) -> None:
    _RENDERED[key] = rendering
    if len(_RENDERED) > KEPT:
        _RENDERED.popitem(last=False)


def _reuse(
    result: ExecutionResult | asyncio.Future[ExecutionResult],
) -> ExecutionResult | Awaitable[ExecutionResult]:
    if isinstance(result, asyncio.Future):
        # Shielded: one subscriber leaving must not cancel the others' rendering.
        return asyncio.shield(result)
    return result
