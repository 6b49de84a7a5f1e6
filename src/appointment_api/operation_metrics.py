"""Counts and times every GraphQL operation, with the error codes it answered, and keeps
the number of subscriptions streaming right now."""

import time
from collections.abc import Callable, Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from appointment_api.metrics import OTHER_OPERATION, ApiMetrics

UNCLASSIFIED = "UNCLASSIFIED"


class OperationMetrics(SchemaExtension):
    """Must come first in the schema's extension list: hooks exit in reverse order, so
    it then sees the errors after they were classified.

    For a subscription, the operation hook spans its whole life and the execute hook
    only its start: the gauge goes up in the one and down when the other ends, and the
    latency histogram leaves subscriptions out.
    """

    def __init__(self, *, metrics: ApiMetrics, timer: Callable[[], float] = time.perf_counter):
        self._metrics = metrics
        self._timer = timer
        self._streaming = False
        self._valid = False

    def on_execute(self) -> Iterator[None]:
        # Runs only once the document parsed and validated (edge limits included).
        self._valid = True
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            self._streaming = True
            self._metrics.subscriptions.inc()
        yield

    def on_operation(self) -> Iterator[None]:
        started = self._timer()
        try:
            yield
        finally:
            # Also when a client stops a subscription: the hook then ends by GeneratorExit.
            self._record(started)

    def _record(self, started: float) -> None:
        if self._streaming:
            self._metrics.subscriptions.dec()
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:
            # No operation could be picked out of the document (parse or selection error).
            kind = "invalid"
        errors = context.result.errors if context.result is not None else None
        codes = [str((error.extensions or {}).get("code", UNCLASSIFIED)) for error in errors or []]
        seconds = None if self._streaming else self._timer() - started
        self._metrics.observe_operation(self._label_name(), kind, seconds, codes)

    def _label_name(self) -> str | None:
        """The operation's name as a label only once the document is known valid and the
        caller signed in: an anonymous caller, or a document that failed to validate,
        never adds a name (they count under ``other``). None: an unnamed operation."""
        context = self.execution_context
        name = context.operation_name
        if name is None:
            return None
        admitted = (
            isinstance(name, str)
            and self._valid
            and getattr(context.context, "viewer", None) is not None
        )
        return name if admitted else OTHER_OPERATION


def operation_metrics(metrics: ApiMetrics) -> Callable[[], SchemaExtension]:
    return lambda: OperationMetrics(metrics=metrics)
