"""Prometheus metrics of one process, in a registry of its own (no global state)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from infra.db.outbox_backlog import OutboxBacklog
from infra.queue.depths import QueueDepths

__all__ = ["CONTENT_TYPE_LATEST", "ApiMetrics", "WorkerMetrics"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DECISION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# Operation names come from clients; past this many distinct ones they share a label.
MAX_OPERATION_NAMES = 200
OTHER_OPERATION = "other"
RATE_LIMITED = "RATE_LIMITED"


@dataclass
class ApiMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "graphql_requests", "GraphQL operations served.", ["operation", "kind"], registry=r
        )
        self.errors = Counter(
            "graphql_errors", "GraphQL errors returned, by code.", ["operation", "code"], registry=r
        )
        self.latency = Histogram(
            "graphql_request_seconds",
            "Time to execute a GraphQL operation.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "rate_limit_refusals", "Operations refused by a rate limit.", ["budget"], registry=r
        )
        self.executions = Counter(
            "graphql_executions",
            "Operations executed, by path: a compiled plan, or the executor (everything the "
            "compiler does not cover, and compiled queries that fell back).",
            ["path"],
            registry=r,
        )
        self.websockets = Gauge("websocket_connections", "Open websocket connections.", registry=r)
        self.subscriptions = Gauge(
            "active_subscriptions", "Subscriptions currently streaming.", registry=r
        )
        self.outbox_undispatched = Gauge(
            "outbox_undispatched", "Outbox rows not yet sent to the queue.", registry=r
        )
        self.outbox_lag = Gauge(
            "outbox_lag_seconds", "Age of the oldest outbox row not yet sent.", registry=r
        )
        self._operation_names: set[str] = set()

    def served(self, path: str) -> None:
        self.executions.labels(path).inc()

    def operation_label(self, name: str | None) -> str:
        label = name or "anonymous"
        if label in self._operation_names:
            return label
        if len(self._operation_names) >= MAX_OPERATION_NAMES:
            return OTHER_OPERATION
        self._operation_names.add(label)
        return label

    def observe_operation(
        self, name: str | None, kind: str, seconds: float | None, error_codes: list[str]
    ) -> None:
        label = self.operation_label(name)
        self.requests.labels(operation=label, kind=kind).inc()
        if seconds is not None:
            self.latency.labels(operation=label).observe(seconds)
        for code in error_codes:
            self.errors.labels(operation=label, code=code).inc()
            if code == RATE_LIMITED:
                self.rate_limited.labels(budget=kind).inc()

    def observe_backlog(self, backlog: OutboxBacklog) -> None:
        self.outbox_undispatched.set(backlog.undispatched)
        self.outbox_lag.set(backlog.oldest_age_seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class WorkerMetrics:
    """Implements the worker's DecisionObserver port."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.outcomes = Counter(
            "worker_outcomes",
            "Messages handled by the worker, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.decision_latency = Histogram(
            "worker_decision_seconds",
            "Time from the request's creation to its decision.",
            buckets=DECISION_BUCKETS,
            registry=r,
        )
        self.queue_messages = Gauge(
            "queue_messages", "Messages in the queues.", ["queue", "state"], registry=r
        )

    def handled(self, outcome: str, since_requested_seconds: float | None = None) -> None:
        self.outcomes.labels(outcome=outcome).inc()
        if since_requested_seconds is not None:
            self.decision_latency.observe(since_requested_seconds)

    def observe_queues(self, depths: QueueDepths) -> None:
        for queue, depth in (("queue", depths.queue), ("dead_letters", depths.dead_letters)):
            self.queue_messages.labels(queue=queue, state="visible").set(depth.visible)
            self.queue_messages.labels(queue=queue, state="in_flight").set(depth.in_flight)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
