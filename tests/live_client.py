"""A small GraphQL-over-websocket client for the tests, speaking both protocols.

graphql-transport-ws (the graphql-ws npm package's protocol) and the legacy
graphql-ws (subscriptions-transport-ws) differ in message names only as far as
these tests care; `Operation.receive` hides that and keeps the raw frames visible.
"""

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
WAIT = 10.0

Message = dict[str, Any]

# The legacy protocol's names for the same things.
_START = {TRANSPORT_WS: "subscribe", LEGACY_WS: "start"}
_STOP = {TRANSPORT_WS: "complete", LEGACY_WS: "stop"}
_RESULT = {"next": "next", "data": "next", "error": "error", "complete": "complete"}


class ConnectionEnded(Exception):
    """The server closed the websocket."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


class Operation:
    def __init__(self, client: "LiveClient", operation_id: str) -> None:
        self.client = client
        self.id = operation_id
        self.messages: asyncio.Queue[Message | ConnectionEnded] = asyncio.Queue()

    async def receive(self, *, within: float = WAIT) -> tuple[str, Any]:
        """The next message for this operation: ("next" | "error" | "complete", payload)."""
        async with asyncio.timeout(within):
            message = await self.messages.get()
        if isinstance(message, ConnectionEnded):
            raise message
        return _RESULT[message["type"]], message.get("payload")

    async def next_data(self, *, within: float = WAIT) -> dict[str, Any]:
        """The data of the next result; fails on anything else."""
        kind, payload = await self.receive(within=within)
        assert kind == "next", (kind, payload)
        assert not payload.get("errors"), payload
        data: dict[str, Any] = payload["data"]
        return data

    async def error_codes(self, *, within: float = WAIT) -> list[str]:
        """The error codes this operation ends with, whichever way the protocol says it."""
        kind, payload = await self.receive(within=within)
        assert kind in ("next", "error"), (kind, payload)
        errors = payload.get("errors", []) if isinstance(payload, dict) else payload
        if isinstance(errors, dict):  # the legacy protocol sends one error object
            errors = [errors]
        return [error.get("extensions", {}).get("code", "") for error in errors]

    async def stop(self) -> None:
        await self.client.send({"id": self.id, "type": _STOP[self.client.protocol]})


class LiveClient:
    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol
        self.control: asyncio.Queue[Message | ConnectionEnded] = asyncio.Queue()
        self._operations: dict[str, Operation] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())
        self.closed: ConnectionEnded | None = None

    async def send(self, message: Message) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def init(self, token: str | None, **payload: Any) -> Message:
        """Send connection_init (with the token, if any) and return the server's answer."""
        if token is not None:
            payload["Authorization"] = f"Bearer {token}"
        await self.send({"type": "connection_init", "payload": payload})
        return await self.next_control()

    async def next_control(self, *, within: float = WAIT) -> Message:
        async with asyncio.timeout(within):
            while True:
                message = await self.control.get()
                if isinstance(message, ConnectionEnded):
                    raise message
                if message["type"] != "ka":  # the legacy protocol's keep-alive
                    return message

    async def subscribe(self, query: str, **variables: Any) -> Operation:
        operation = Operation(self, str(next(self._ids)))
        self._operations[operation.id] = operation
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation.id, "type": _START[self.protocol], "payload": payload})
        return operation

    async def wait_closed(self, *, within: float = WAIT) -> ConnectionEnded:
        async with asyncio.timeout(within):
            await self._reader
        assert self.closed is not None
        return self.closed

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                # Both protocols send JSON as text; a binary frame is a protocol error.
                assert isinstance(raw, str), f"binary frame: {raw!r}"
                message: Message = orjson.loads(raw)
                operation = self._operations.get(message.get("id") or "")
                await (operation.messages if operation else self.control).put(message)
        except ConnectionClosed:
            pass
        self.closed = ConnectionEnded(
            self.connection.close_code, self.connection.close_reason or ""
        )
        for queue in [self.control, *(op.messages for op in self._operations.values())]:
            queue.put_nowait(self.closed)


@asynccontextmanager
async def live_client(
    url: str,
    *,
    protocol: str = TRANSPORT_WS,
    token: str | None = None,
    origin: str | None = None,
) -> AsyncIterator[LiveClient]:
    """A connected, initialised client (``token=None``: connected only, not initialised)."""
    async with connect(
        url,
        subprotocols=[protocol],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=WAIT,
        close_timeout=2,
    ) as connection:
        client = LiveClient(connection, protocol)
        try:
            if token is not None:
                answer = await client.init(token)
                assert answer["type"] == "connection_ack", answer
            yield client
        finally:
            client._reader.cancel()
            with suppress(asyncio.CancelledError):
                await client._reader
