"""The use cases: what the GraphQL resolvers and the worker both call.

Each use case loads what it needs through the ports of ``unit_of_work``, applies the
domain's rules, stores the change with its status events and outbox rows in one
transaction, and publishes the live events once that transaction has committed.
"""
