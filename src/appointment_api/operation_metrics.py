"""Counts and times every GraphQL operation, with the error codes it answered."""

import time
from collections.abc import Callable, Iterator

from strawberry.extensions import SchemaExtension

from appointment_api.metrics import ApiMetrics

UNCLASSIFIED = "UNCLASSIFIED"


class OperationMetrics(SchemaExtension):
    """Must come first in the schema's extension list: hooks exit in reverse order, so
    it then sees the errors after they were classified."""

    def __init__(self, *, metrics: ApiMetrics, timer: Callable[[], float] = time.perf_counter):
        self._metrics = metrics
        self._timer = timer

    def on_operation(self) -> Iterator[None]:
        started = self._timer()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:
            # No operation could be picked out of the document (parse or selection error).
            kind = "invalid"
        errors = context.result.errors if context.result is not None else None
        codes = [str((error.extensions or {}).get("code", UNCLASSIFIED)) for error in errors or []]
        self._metrics.observe_operation(
            context.operation_name, kind, self._timer() - started, codes
        )


def operation_metrics(metrics: ApiMetrics) -> Callable[[], SchemaExtension]:
    return lambda: OperationMetrics(metrics=metrics)
