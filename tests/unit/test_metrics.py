import asyncio
from collections.abc import AsyncGenerator, Iterator
from types import SimpleNamespace
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from appointment_api.metrics import MAX_OPERATION_NAMES, OTHER_OPERATION, ApiMetrics, WorkerMetrics
from appointment_api.operation_metrics import operation_metrics
from infra.db.outbox_backlog import OutboxBacklog
from infra.queue.depths import QueueDepth, QueueDepths
from worker.ports import QueueUnavailable
from worker.queue_watch import watch_queue_depths


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.field
    def broken(self) -> str:
        raise GraphQLError("nope", extensions={"code": "FORBIDDEN"})

    @strawberry.field
    def unclassified(self) -> str:
        raise ValueError("internal detail")


class CodeEverything(SchemaExtension):
    """Stands for the schema's error classification, which runs inside the metrics hook."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [
                e if e.extensions and "code" in e.extensions else GraphQLError(e.message)
                for e in result.errors
            ]


def sample(metrics: ApiMetrics, name: str, labels: dict[str, str]) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def schema_with(metrics: ApiMetrics) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[operation_metrics(metrics), CodeEverything])


# What the metrics read of the app's context: who is calling.
SIGNED_IN = SimpleNamespace(viewer="patient-1")
ANONYMOUS = SimpleNamespace(viewer=None)


def run(schema: strawberry.Schema, query: str, context: object = SIGNED_IN, **kwargs: Any) -> None:
    schema.execute_sync(query, context_value=context, **kwargs)


def test_each_operation_is_counted_and_timed_by_its_name() -> None:
    metrics = ApiMetrics()
    schema = schema_with(metrics)

    run(schema, "query Greeting { hello }")
    run(schema, "query Greeting { hello }")
    run(schema, "{ hello }")

    assert (
        sample(metrics, "graphql_requests_total", {"operation": "Greeting", "kind": "query"}) == 2
    )
    assert (
        sample(metrics, "graphql_requests_total", {"operation": "anonymous", "kind": "query"}) == 1
    )
    assert sample(metrics, "graphql_request_seconds_count", {"operation": "Greeting"}) == 2


def test_errors_are_counted_by_their_code() -> None:
    metrics = ApiMetrics()
    schema = schema_with(metrics)

    run(schema, "query Denied { broken }")
    run(schema, "query Failing { unclassified }")
    run(schema, "query Typo { helo }")

    assert (
        sample(metrics, "graphql_errors_total", {"operation": "Denied", "code": "FORBIDDEN"}) == 1
    )
    assert (
        sample(metrics, "graphql_errors_total", {"operation": "Failing", "code": "UNCLASSIFIED"})
        == 1
    )
    # A document that failed validation does not name a label.
    assert sample(metrics, "graphql_requests_total", {"operation": "Typo", "kind": "query"}) == 0
    assert (
        sample(metrics, "graphql_requests_total", {"operation": OTHER_OPERATION, "kind": "query"})
        == 1
    )


def test_anonymous_callers_cannot_add_operation_names() -> None:
    metrics = ApiMetrics()
    schema = schema_with(metrics)

    for n in range(MAX_OPERATION_NAMES + 1):
        run(schema, f"query Filler{n} {{ hello }}", ANONYMOUS)
    run(schema, "query Greeting { hello }")

    assert sample(metrics, "graphql_requests_total", {"operation": "Filler0", "kind": "query"}) == 0
    assert (
        sample(metrics, "graphql_requests_total", {"operation": OTHER_OPERATION, "kind": "query"})
        == MAX_OPERATION_NAMES + 1
    )
    assert (
        sample(metrics, "graphql_requests_total", {"operation": "Greeting", "kind": "query"}) == 1
    )


def test_an_unparsable_document_is_counted_as_invalid() -> None:
    metrics = ApiMetrics()

    run(schema_with(metrics), "query {")

    assert (
        sample(metrics, "graphql_requests_total", {"operation": "anonymous", "kind": "invalid"})
        == 1
    )


def test_client_chosen_operation_names_cannot_grow_the_label_set_without_bound() -> None:
    metrics = ApiMetrics()

    labels = [metrics.operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 5)]

    assert labels[MAX_OPERATION_NAMES - 1] == f"Op{MAX_OPERATION_NAMES - 1}"
    assert labels[MAX_OPERATION_NAMES:] == [OTHER_OPERATION] * 5
    assert metrics.operation_label("Op0") == "Op0"


def test_the_outbox_backlog_becomes_gauges_in_the_api_exposition() -> None:
    metrics = ApiMetrics()

    metrics.observe_backlog(OutboxBacklog(undispatched=3, oldest_age_seconds=7.0))
    text = metrics.exposition().decode()

    assert "outbox_undispatched 3.0" in text
    assert "outbox_lag_seconds 7.0" in text


async def test_the_worker_keeps_queue_depths_current_until_it_stops() -> None:
    metrics = WorkerMetrics()
    stop = asyncio.Event()
    measured = asyncio.Event()
    depths = iter([QueueDepths(QueueDepth(4, 2), QueueDepth(1, 0))])

    async def measure() -> None:
        found = next(depths, None)
        if found is None:
            raise QueueUnavailable("the queue went away")
        metrics.observe_queues(found)
        measured.set()

    watching = asyncio.create_task(watch_queue_depths(measure, stop, every=0))
    async with asyncio.timeout(5):
        await measured.wait()
    stop.set()
    await asyncio.wait_for(watching, 5)
    text = metrics.exposition().decode()

    assert 'queue_messages{queue="queue",state="in_flight"} 2.0' in text
    assert 'queue_messages{queue="dead_letters",state="visible"} 1.0' in text


@strawberry.type
class Ticks:
    @strawberry.subscription
    async def tick(self) -> AsyncGenerator[int, None]:
        for number in range(3):
            yield number


async def test_a_subscription_counts_as_streaming_until_it_ends() -> None:
    metrics = ApiMetrics()
    schema = strawberry.Schema(
        query=Query, subscription=Ticks, extensions=[operation_metrics(metrics)]
    )

    stream = await schema.subscribe("subscription Ticking { tick }", context_value=SIGNED_IN)
    assert isinstance(stream, AsyncGenerator)
    await anext(stream)
    during = sample(metrics, "active_subscriptions", {})
    await stream.aclose()

    assert during == 1
    assert sample(metrics, "active_subscriptions", {}) == 0
    assert (
        sample(metrics, "graphql_requests_total", {"operation": "Ticking", "kind": "subscription"})
        == 1
    )
    assert sample(metrics, "graphql_request_seconds_count", {"operation": "Ticking"}) == 0
