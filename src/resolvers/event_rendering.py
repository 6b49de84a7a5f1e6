"""Render once, send many: one GraphQL execution per live event and group of subscribers.

Every subscriber of a channel is handed the same bytes object for one message, decoded
once into the same event object and shaped once into the same GraphQL object here. Subscribers whose
operation (same document, hence same selection), variables and visibility (the viewer's
role and subject) are the same would compute the same answer for it: the first one
executes the selection, the others reuse its result, and the transport serialises that
result once (``appointment_api.live_frames``).

Visibility is exact: a result is shared only between viewers of the same role and
subject, so nothing rendered for one person reaches another, whatever their selections.

What is remembered belongs to one schema (``EventRenderings``, bound to its executor),
never to the process.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import orjson
from graphql import ExecutionResult, OperationDefinitionNode, OperationType
from strawberry import Schema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from application.live_events import PublishedEvent, decode_event

T = TypeVar("T")
U = TypeVar("U")

# Enough for every event of a burst across all channels; older ones are done with.
KEPT = 1024
# Messages of the event stream whose decoded event is kept for the other subscribers.
DECODED_KEPT = 256


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


@dataclass(frozen=True)
class _Rendering:
    payload: object
    operation: OperationDefinitionNode
    result: ExecutionResult | asyncio.Future[ExecutionResult]


class EventRenderings:
    """One schema's live events, decoded, shaped and executed once for alike subscribers.

    Built with the schema (``build_schema``) and bound to its executor, as the compiled
    reads' plans are: two schemas, hence two apps, share nothing. Every cache is bounded.
    """

    def __init__(self, kept: int = KEPT, decoded_kept: int = DECODED_KEPT) -> None:
        self._decoded = _IdentityCache(decoded_kept)
        self._shared_events = _IdentityCache(kept)
        self._shaped = _IdentityCache(kept)
        self._shared_payloads = _IdentityCache(kept)
        self._rendered: OrderedDict[Hashable, _Rendering] = OrderedDict()
        self._kept = kept
        # How many times a shared event was executed: once per event and group of alike
        # subscribers.
        self.executions = 0

    def published(self, message: bytes) -> PublishedEvent:
        """The event in ``message``, decoded once: every subscriber of a channel is handed
        the same bytes object for one message, so they all get the same event object too,
        which lets its rendering be shared."""
        found = self._decoded.get(message)
        if isinstance(found, PublishedEvent):
            return found
        published = decode_event(message)
        self.share(published.event)
        self._decoded.put(message, published)
        return published

    def share(self, event: object) -> None:
        """``event`` is handed to many subscribers (a published one, not a state read for
        one)."""
        self._shared_events.put(event, True)

    def shaped_once(self, event: T, shape: Callable[[T], U]) -> U:
        """The GraphQL object for ``event``: the same object for every subscriber of a
        shared one."""
        if event not in self._shared_events:
            return shape(event)
        found = self._shaped.get(event)
        if found is not None:
            return found  # type: ignore[return-value]
        payload = shape(event)
        self._shaped.put(event, payload)
        self._shared_payloads.put(payload, True)
        return payload

    def is_shared(self, payload: object) -> bool:
        return payload in self._shared_payloads

    def rendered(self, key: Hashable, payload: object, operation: object) -> _Rendering | None:
        found = self._rendered.get(key)
        if found is not None and found.payload is payload and found.operation is operation:
            return found
        return None

    def remember(self, key: Hashable, rendering: _Rendering) -> None:
        self._rendered[key] = rendering
        if len(self._rendered) > self._kept:
            self._rendered.popitem(last=False)


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
    """Strawberry's executor, with the per-event execution of subscriptions shared
    through the renderings it is bound to (``shared_event_executor``)."""

    renderings: ClassVar[EventRenderings]

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        operation = self.operation
        renderings = self.renderings
        if operation.operation is not OperationType.SUBSCRIPTION or not renderings.is_shared(
            payload
        ):
            return super().execute_operation(serially)
        visibility = _visibility(self.context_value)
        variables = _variables_key(dict(getattr(self.variable_values, "coerced", {}) or {}))
        if visibility is None or variables is None:
            return super().execute_operation(serially)
        key = (id(payload), id(operation), variables, visibility)
        found = renderings.rendered(key, payload, operation)
        if found is not None:
            return _reuse(found.result)
        renderings.executions += 1
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            shared: asyncio.Future[ExecutionResult] = asyncio.ensure_future(result)
            renderings.remember(key, _Rendering(payload, operation, shared))
            return _reuse(shared)
        if isinstance(result, ExecutionResult):
            renderings.remember(key, _Rendering(payload, operation, result))
        return result


def shared_event_executor(renderings: EventRenderings) -> type[SharedEventExecutor]:
    """An executor class bound to one schema's renderings."""
    return type("SharedEventExecutor", (SharedEventExecutor,), {"renderings": renderings})


def renderings_of(schema: Schema) -> EventRenderings:
    """The renderings the schema's executor is bound to."""
    executor: type[object] = schema.execution_context_class
    if not issubclass(executor, SharedEventExecutor):
        raise TypeError("the schema's executor does not share live events: see build_schema")
    return executor.renderings


def _reuse(
    result: ExecutionResult | asyncio.Future[ExecutionResult],
) -> ExecutionResult | Awaitable[ExecutionResult]:
    if isinstance(result, asyncio.Future):
        # Shielded: one subscriber leaving must not cancel the others' rendering.
        return asyncio.shield(result)
    return result
