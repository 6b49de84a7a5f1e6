"""Tracing of GraphQL operations through the real app on PostgreSQL: one span per
operation, child of the caller's traceparent; nothing at all when no exporter is set."""

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import SecretStr
from starlette.routing import Route

from appointment_api.bootstrap import build_resources, create_app
from appointment_api.tracing import ENDPOINT_VARIABLES, OperationTracing
from domain.viewer import Role
from graphql_client import APP_NOW, SECRET, running_api
from infra.auth import issue_token
from infra.config import Settings

VIEWER = "query WhoAmI { viewer { subject role } }"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"


def _auth() -> dict[str, str]:
    token = issue_token(
        secret=SECRET,
        subject="admin-1",
        role=Role.ADMIN,
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Traced:
    client: httpx.AsyncClient
    exporter: InMemorySpanExporter

    async def post(self, query: str, **headers: str) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query}, headers={**_auth(), **headers}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@asynccontextmanager
async def traced_api(database_url: str) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = Settings(database_url=database_url, jwt_secret=SecretStr(SECRET))
    resources = build_resources(settings, clock=lambda: APP_NOW)
    app = create_app(settings, resources=resources, tracer_provider=provider)
    assert _traces(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Traced(client, exporter)


async def test_each_operation_has_a_server_span_with_its_name_type_and_request_id(
    database_url: str,
) -> None:
    async with traced_api(database_url) as api:
        body = await api.post(VIEWER, **{"X-Request-ID": "req-trace-1"})
        assert body["data"]["viewer"]["subject"] == "admin-1"
        await api.post("{ psychologists(first: 1) { totalCount } }", **{"X-Request-ID": "req-2"})

        first, second = api.spans()
    assert first.name == "query WhoAmI"
    assert first.kind is SpanKind.SERVER
    assert first.parent is None
    assert dict(first.attributes or {}) == {
        "request_id": "req-trace-1",
        "graphql.operation.type": "query",
        "graphql.operation.name": "WhoAmI",
    }
    assert first.status.status_code is StatusCode.UNSET
    # An anonymous operation is named by its type alone.
    assert second.name == "query"
    assert (second.attributes or {})["request_id"] == "req-2"
    assert first.context is not None
    assert second.context is not None
    assert first.context.trace_id != second.context.trace_id


async def test_an_incoming_traceparent_is_the_parent_of_the_operations_span(
    database_url: str,
) -> None:
    async with traced_api(database_url) as api:
        await api.post(VIEWER, traceparent=f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01")

        (span,) = api.spans()
    assert span.context is not None
    assert span.parent is not None
    assert span.context.trace_id == int(TRACE_ID, 16)
    assert span.parent.trace_id == int(TRACE_ID, 16)
    assert span.parent.span_id == int(PARENT_SPAN_ID, 16)
    assert span.parent.is_remote
    # Without an X-Request-ID the request id is the trace id, on the span as in the logs.
    assert (span.attributes or {})["request_id"] == TRACE_ID


async def test_a_refused_operation_has_its_span_with_the_error_codes(database_url: str) -> None:
    async with traced_api(database_url) as api:
        body = await api.post("query Broken { viewer { subject ")
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"

        (span,) = api.spans()
    assert span.name == "graphql"
    assert (span.attributes or {})["graphql.error.codes"] == ("GRAPHQL_PARSE_FAILED",)
    # The client's mistake, not a fault of the server.
    assert span.status.status_code is StatusCode.UNSET


async def test_without_an_exporter_no_tracing_extension_runs(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    async with running_api(database_url) as api:
        body = await api.query(VIEWER)
        assert body["data"]["viewer"]["subject"] == "admin-1"
    app = create_app(Settings(database_url=database_url, jwt_secret=SecretStr(SECRET)))
    assert not _traces(app)


def _traces(app: Any) -> bool:
    (route,) = [r for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    endpoint: Any = route.endpoint
    extensions = endpoint.schema.extensions
    return any(getattr(made, "func", made) is OperationTracing for made in extensions)


@dataclass
class Collector:
    """An OTLP/HTTP trace endpoint on a free port, keeping what it receives."""

    url: str
    received: list[ExportTraceServiceRequest] = field(default_factory=list)


@contextmanager
def otlp_collector() -> Iterator[Collector]:
    received: list[ExportTraceServiceRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.append(ExportTraceServiceRequest.FromString(body))
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200 if self.path == "/v1/traces" else 404)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Collector(f"http://{host!s}:{port}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def test_with_an_otlp_endpoint_spans_are_exported_by_the_time_the_app_stops(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with otlp_collector() as collector:
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "appointments-under-test")
        async with running_api(database_url) as api:
            body = await api.query(VIEWER)
            assert body["data"]["viewer"]["subject"] == "admin-1"
        # Leaving the app's lifespan flushed the batch: it has reached the collector.
        spans = [
            (resource_spans.resource, span)
            for request in collector.received
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
    assert [span.name for _, span in spans] == ["query WhoAmI"]
    ((resource, _),) = spans
    resource_attributes = {kv.key: kv.value.string_value for kv in resource.attributes}
    assert resource_attributes["service.name"] == "appointments-under-test"
