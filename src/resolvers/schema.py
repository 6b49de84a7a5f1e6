"""The GraphQL schema, assembled from the feature modules."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.extensions import DisableIntrospection, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.compiled import ExecutionPaths, PlanCache, compiling_executor
from resolvers.event_rendering import EventRenderings, shared_event_executor
from resolvers.extensions import (
    ClassifyErrors,
    OperationContext,
    RequireViewer,
    SubscriptionsOverWebsockets,
)
from resolvers.hardening import ExtensionFactory
from resolvers.input_bounds import BoundedInput
from resolvers.mutations import Mutation
from resolvers.queries import Query
from resolvers.request_count import AppointmentRequestLimit
from resolvers.scalars import Date, DateTime
from resolvers.subscriptions import Subscription
from resolvers.types.entities import Appointment, Patient, Psychologist


def build_schema(
    *,
    introspection: bool = True,
    edge: Sequence[ExtensionFactory] | None = None,
    observers: Sequence[ExtensionFactory] = (),
    compiled: bool = True,
    paths: ExecutionPaths | None = None,
) -> strawberry.Schema:
    """``compiled``: answer the queries the compiler covers with compiled plans (``paths``
    counts which way each operation went); otherwise every operation runs on the executor.
    ``edge``: the edge's extensions (``hardening_extensions``); they parse, validate and
    refuse, in place of the caches and ``DisableIntrospection``. ``observers`` come first,
    so that they see each operation's final result (hooks end in reverse order)."""
    extensions: list[Any] = [
        *observers,
        OperationContext,
        ClassifyErrors,
        RequireViewer,
        BoundedInput,
        AppointmentRequestLimit,
        SubscriptionsOverWebsockets,
    ]
    if edge is not None:
        extensions += edge
    else:
        extensions += [lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)]
        if not introspection:
            extensions.append(DisableIntrospection)
    # The schema's own renderings of live events, as its own plans: nothing process-wide.
    shared = shared_event_executor(EventRenderings())
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Appointment, Patient, Psychologist],
        extensions=extensions,
        config=StrawberryConfig(scalar_map={datetime: DateTime, date: Date}),
        # Live events are rendered once per group of alike subscribers on either executor.
        execution_context_class=(
            compiling_executor(PlanCache(paths), base=shared) if compiled else shared
        ),
    )
