"""A real HTTP server on a free port of 127.0.0.1 that webhooks are sent to: it keeps each
request, answers what the test says, can be stopped (connections refused) and started
again on the same port, and lets a test wait for a number of requests."""

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    def __init__(self, answer: Callable[[Received], int] = lambda _: 200) -> None:
        self.answer = answer
        self.received: list[Received] = []
        # Seconds to wait before answering: a slow receiver.
        self.delay = 0.0
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, *, seconds: float = 15) -> list[Received]:
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(method, path, headers, body)
            if self.delay:
                await asyncio.sleep(self.delay)
            status = self.answer(request)
            async with self._arrived:
                self.received.append(request)
                self._arrived.notify_all()
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            # The sender hung up (its timeout): nothing was received.
            return
        finally:
            writer.close()
