"""One load-generator process: ``count`` websockets (graphql-transport-ws), each with one
``appointmentStatus`` subscription to the same appointment.

Run by the live suite as ``python -m bench.live.subscribers``. It prints ``READY <n>
<seconds>`` once every subscription has delivered the current state, then, once each
has received the next event, ``RESULT`` and a JSON object: the event's ``occurredAt``
and the wall-clock time (``time.time()``) at which every subscriber received it.

The websockets are spoken by hand over asyncio protocols (RFC 6455: a masked client, text
frames, ping answered, permessage-deflate offered and understood): a general client
library costs the generator more per frame than the server spends writing it, and on
shared cores the receipt times would measure the generator.
"""

import argparse
import asyncio
import base64
import os
import resource
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

SUBSCRIPTION = (
    "subscription Status($id: ID!) { appointmentStatus(appointmentId: $id) "
    "{ appointmentId status version occurredAt } }"
)
STEP_TIMEOUT_SECONDS = 120.0
# Handshakes in flight per process: more only lengthens the server's accept queue.
CONCURRENCY = 50
# Offered as browsers do; the server decides.
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"


class Subscriber(asyncio.Protocol):
    """One websocket with one subscription; records when its second result arrived."""

    def __init__(self, host: str, path: str, token: str, appointment: str) -> None:
        self.host, self.path, self.token, self.appointment = host, path, token, appointment
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.inflater: Any = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.changed: asyncio.Future[tuple[float, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self.results = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"
                f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        error = RuntimeError(f"connection lost: {exc}")
        for future in (self.ready, self.changed):
            if not future.done():
                future.set_exception(error)

    def data_received(self, data: bytes) -> None:
        received = time.time()
        self.buffer += data
        if not self.handshaken:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            if not head.startswith("HTTP/1.1 101"):
                self._fail(f"handshake refused: {head.splitlines()[0]}")
                return
            if "permessage-deflate" in head.lower():
                self.inflater = zlib.decompressobj(-15)
            self.handshaken = True
            self._send({"type": "connection_init", "payload": {"Authorization": self.token}})
        while True:
            frame = self._frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x9:  # ping
                self._write(0xA, payload)
            elif opcode == 0x1:
                self._message(orjson.loads(payload), received)
            elif opcode == 0x8:
                self._fail(f"closed by the server: {payload[:2].hex()} {payload[2:]!r}")

    def _frame(self) -> tuple[int, bytes] | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
        if len(buffer) < offset + length:
            return None
        payload = bytes(buffer[offset : offset + length])
        del buffer[: offset + length]
        if not first & 0x80:
            raise RuntimeError("fragmented frames are not expected from this server")
        if first & 0x40:  # RSV1: compressed with permessage-deflate
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return first & 0x0F, payload

    def _message(self, message: dict[str, Any], received: float) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            payload = {"query": SUBSCRIPTION, "variables": {"id": self.appointment}}
            self._send({"id": "1", "type": "subscribe", "payload": payload})
        elif kind == "ping":
            self._send({"type": "pong"})
        elif kind == "next" and not message["payload"].get("errors"):
            self.results += 1
            if self.results == 1:
                self.ready.set_result(None)
            elif not self.changed.done():
                self.changed.set_result((received, message["payload"]["data"]))
        elif kind != "pong":
            self._fail(f"unexpected message: {message}")

    def _send(self, message: dict[str, Any]) -> None:
        self._write(0x1, orjson.dumps(message))

    def _write(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + masked)

    def _fail(self, reason: str) -> None:
        for future in (self.ready, self.changed):
            if not future.done():
                future.set_exception(RuntimeError(reason))
        if self.transport is not None:
            self.transport.close()


async def main(args: argparse.Namespace) -> None:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(args.concurrency)
    token = f"Bearer {args.token}"

    if args.appointments_file is not None:
        appointments = args.appointments_file.read_text().split()
    else:
        appointments = args.appointment.split(",")

    async def one(i: int) -> Subscriber:
        async with limit:
            _, subscriber = await loop.create_connection(
                lambda: Subscriber(
                    f"{host}:{port}", url.path, token, appointments[i % len(appointments)]
                ),
                host,
                port,
            )
            await subscriber.ready
            return subscriber

    started = time.monotonic()
    async with asyncio.timeout(args.timeout):
        subscribers = await asyncio.gather(*(one(i) for i in range(args.count)))
    print(f"READY {len(subscribers)} {time.monotonic() - started:.3f}", flush=True)
    async with asyncio.timeout(args.timeout):
        results = await asyncio.gather(*(s.changed for s in subscribers))
    events = {
        (e["appointmentStatus"]["status"], e["appointmentStatus"]["occurredAt"]) for _, e in results
    }
    statuses = {status for status, _ in events}
    if len(statuses) != 1:
        raise RuntimeError(f"subscribers received different statuses: {sorted(events)[:5]}")
    result = {
        "status": statuses.pop(),
        "occurred_at": [e["appointmentStatus"]["occurredAt"] for _, e in results],
        "received": [received for received, _ in results],
    }
    print("RESULT " + orjson.dumps(result).decode(), flush=True)
    for subscriber in subscribers:
        if subscriber.transport is not None:
            subscriber.transport.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.live.subscribers")
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    follows = parser.add_mutually_exclusive_group(required=True)
    follows.add_argument(
        "--appointment",
        help="one appointment ID, or several comma-separated "
        "(subscriber i follows the i-th modulo their number)",
    )
    follows.add_argument(
        "--appointments-file",
        type=Path,
        help="a file of appointment IDs, one a line (subscriber i follows the i-th "
        "modulo their number)",
    )
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--timeout", type=float, default=STEP_TIMEOUT_SECONDS * 5)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(parser.parse_args()))
    sys.stdout.flush()
