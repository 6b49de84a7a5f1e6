"""OpenTelemetry tracing of GraphQL operations, on only when an OTLP endpoint is configured.

The provider is built by the composition root and handed to the schema's extension; it is
not made the process-wide provider, because nothing else here records spans and the API
allows setting that only once per process (a second app, as in tests, would be ignored).
Without an endpoint no provider is built and no extension added: tracing then costs nothing.
"""

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from strawberry.extensions import SchemaExtension

from resolvers.context import Context
from resolvers.errors import ErrorCode

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEFAULT_SERVICE_NAME = "appointment-api"
TRACER_NAME = "appointment_api"

_W3C = TraceContextTextMapPropagator()


def tracer_provider_from_environment() -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP in batches, or None when no endpoint is set."""
    if not any(os.environ.get(name, "").strip() for name in ENDPOINT_VARIABLES):
        return None
    service = os.environ.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    # The exporter reads its endpoint, headers, timeout and compression from the same
    # standard variables.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


async def shut_down_tracing(provider: TracerProvider | None) -> None:
    """Export what is still batched, then stop; blocking, so off the event loop."""
    if provider is not None:
        await asyncio.to_thread(provider.shutdown)


class OperationTracing(SchemaExtension):
    """One server span per GraphQL operation, child of the caller's W3C ``traceparent``.

    Should come first in the schema's extension list, so that the span covers the others
    and sees the errors once classified. A subscription's span lasts as long as it streams.
    Neither the document nor the variables are recorded: they may hold patients' data.
    """

    def __init__(self, *, tracer: Tracer) -> None:
        self._tracer = tracer

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        parent = _W3C.extract(_headers_of(context))
        span = self._tracer.start_span("graphql", context=parent, kind=SpanKind.SERVER)
        if isinstance(context, Context) and context.request_id:
            span.set_attribute("request_id", context.request_id)
        try:
            yield
        finally:
            # Also when a client stops a subscription: the hook then ends by GeneratorExit.
            self._finish(span)

    def _finish(self, span: Span) -> None:
        context = self.execution_context
        name = context.operation_name
        try:
            kind = context.operation_type.value
        except RuntimeError:
            # No operation could be picked out of the document (parse or selection error).
            kind = None
        if kind is not None:
            span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", name)
        span.update_name(" ".join(part for part in (kind, name) if part) or "graphql")
        errors = context.result.errors if context.result is not None else None
        codes = [str((error.extensions or {}).get("code", "")) for error in errors or []]
        if codes:
            span.set_attribute("graphql.error.codes", codes)
        # Refusals and bad input are the client's; only a fault of the server fails the span.
        if ErrorCode.INTERNAL_SERVER_ERROR in codes:
            span.set_status(StatusCode.ERROR)
        span.end()


def _headers_of(context: Any) -> Mapping[str, str]:
    # The HTTP request, or the websocket's handshake for its operations.
    headers = getattr(getattr(context, "request", None), "headers", None)
    return headers if isinstance(headers, Mapping) else {}


def operation_tracing(provider: TracerProvider | None) -> list[Callable[[], SchemaExtension]]:
    """The schema's tracing extension, or none at all when tracing is off."""
    if provider is None:
        return []
    return [partial(OperationTracing, tracer=provider.get_tracer(TRACER_NAME))]
