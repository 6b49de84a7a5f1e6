"""The executor that runs compiled plans, and the normal executor for everything else.

It takes graphql-core's place below Strawberry, so parsing, validation, the cost, the rate
limits, tracing, metrics and error classification run as they always do: only the walk of
the fields is replaced. A compiled query that meets anything unexpected (a NULL where the
schema promises a value, a bad argument, a database error) runs again on the executor,
which answers it exactly as it would have; that is safe because only queries are compiled.
"""

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import DeferUsage, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.compiled.plans import COMPILED, EXECUTOR, Plan, PlanCache
from resolvers.context import Context

log = logging.getLogger("appointment_api.compiled")


def compiling_executor(plans: PlanCache) -> type[StrawberryGraphQLCoreExecutionContext]:
    """An executor class bound to one schema's plan cache."""

    class CompilingExecutor(_CompilingExecutor):
        cache = plans

    return CompilingExecutor


class _CompilingExecutor(StrawberryGraphQLCoreExecutionContext):
    cache: PlanCache

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[DeferUsage],
    ) -> AwaitableOrValue[dict[str, Any]]:
        context = self.context_value
        plan = None
        if isinstance(context, Context) and not new_defer_usages:
            plan = self.cache.plan_for(self, root_type, grouped_field_set)
        if plan is None:
            self.cache.served(EXECUTOR)
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        assert isinstance(context, Context)
        return self._run(plan, context, root_type, root_value, grouped_field_set, serially)

    async def _run(
        self,
        plan: Plan,
        context: Context,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
    ) -> dict[str, Any]:
        try:
            data = await plan.run(self, context)
        except Exception as anomaly:
            log.debug(
                "compiled query falls back: %r",
                anomaly,
                extra={"request_id": context.request_id},
            )
        else:
            self.cache.served(COMPILED)
            return data
        self.cache.served(EXECUTOR)
        result = super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, ()
        )
        if self.is_awaitable(result):
            awaited: dict[str, Any] = await result
            return awaited
        return result  # type: ignore[return-value]
