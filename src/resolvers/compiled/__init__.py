"""Compiled reads: validated queries answered by one SQL statement per connection level and a
shaping plan, with the normal executor for everything the compiler does not cover."""

from resolvers.compiled.executor import compiling_executor
from resolvers.compiled.plans import COMPILED, EXECUTOR, ExecutionPaths, PlanCache

__all__ = ["COMPILED", "EXECUTOR", "ExecutionPaths", "PlanCache", "compiling_executor"]
