"""uvicorn's sans-I/O websocket protocol, with less held per idle connection.

Per connection, uvicorn keeps an ``asyncio.Queue`` of incoming events and an
``asyncio.Event`` for write readiness: four deques with a 64-slot block each, about
3 KiB, though a subscriber sends a message or two in its whole life. It also keeps the
handshake's response (its headers) after the handshake is done. Here both are replaced by
what uvicorn uses of them, buffers made only while something waits, and the response is
let go once sent. Everything else is uvicorn's own (``websockets-sansio``).
"""

import asyncio
from collections import deque
from typing import Any, Literal

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.http11 import Response

# Stands for the handshake's response once it is sent: nothing reads it again.
_SENT = Response(101, "Switching Protocols", Headers())


class Inbox(asyncio.Queue[ASGIReceiveEvent]):
    """The part of ``asyncio.Queue`` uvicorn's protocol uses (``put_nowait``, ``get``,
    ``empty``), unbounded, holding no buffer while empty."""

    def __init__(self) -> None:  # none of the base's buffers: see the module's docstring
        self._events: deque[ASGIReceiveEvent] | None = None
        self._readers: list[asyncio.Future[None]] = []

    def empty(self) -> bool:
        return not self._events

    def qsize(self) -> int:
        return len(self._events or ())

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        if self._events is None:
            self._events = deque()
        self._events.append(item)
        for reader in self._readers:
            if not reader.done():
                reader.set_result(None)

    async def get(self) -> ASGIReceiveEvent:
        while not self._events:
            reader = asyncio.get_running_loop().create_future()
            self._readers.append(reader)
            try:
                await reader
            finally:
                self._readers.remove(reader)
        event = self._events.popleft()
        if not self._events:
            self._events = None
        return event


class Flag(asyncio.Event):
    """``asyncio.Event`` without its deque: waiters are kept only while there are some."""

    def __init__(self) -> None:  # the base's deque is not made
        self._raised = False
        self._sleepers: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._raised

    def set(self) -> None:
        self._raised = True
        sleepers, self._sleepers = self._sleepers, None
        for sleeper in sleepers or ():
            if not sleeper.done():
                sleeper.set_result(None)

    def clear(self) -> None:
        self._raised = False

    async def wait(self) -> Literal[True]:
        if self._raised:
            return True
        sleeper = asyncio.get_running_loop().create_future()
        if self._sleepers is None:
            self._sleepers = []
        self._sleepers.append(sleeper)
        try:
            await sleeper
        finally:
            if self._sleepers is not None and sleeper in self._sleepers:
                self._sleepers.remove(sleeper)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()
        self.writable = Flag()
        self.writable.set()

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self.response = _SENT
