"""What one operation may take of the shared resources: a few database connections at a
time, and a bounded time over HTTP."""

from collections.abc import Callable, Iterator

from strawberry.extensions import SchemaExtension

from infra.db.connection_budget import connection_budget
from resolvers.errors import ClientError, ErrorCode


class ConnectionBudget(SchemaExtension):
    """The operation's resolvers share ``limit`` database connections, however many fields
    they resolve at once; the others wait for one, so the pool stays free for other users."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit

    def on_execute(self) -> Iterator[None]:
        with connection_budget(self.limit):
            yield


def connection_budget_extension(limit: int) -> Callable[[], SchemaExtension]:
    return lambda: ConnectionBudget(limit=limit)


def timed_out(seconds: float) -> ClientError:
    return ClientError(
        f"This operation ran longer than {seconds:g} s and was stopped: ask for less "
        "(smaller pages, shorter windows, fewer fields).",
        ErrorCode.TIMEOUT,
    )
