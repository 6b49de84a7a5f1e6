"""One load-generator process: ``count`` websockets (graphql-transport-ws), each with one
``appointmentStatus`` subscription to the same appointment.

Run by the live suite as ``python -m bench.live.subscribers``. It prints ``READY <n>
<seconds>`` once every subscription has delivered the current state, then, once each
has received the next event, ``RESULT`` and a JSON object: the event's ``occurredAt``
and the wall-clock time (``time.time()``) at which every subscriber received it.
"""

import argparse
import asyncio
import resource
import sys
import time
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

SUBSCRIPTION = (
    "subscription Status($id: ID!) { appointmentStatus(appointmentId: $id) "
    "{ appointmentId status version occurredAt } }"
)
PROTOCOL = Subprotocol("graphql-transport-ws")
STEP_TIMEOUT_SECONDS = 120.0
# Handshakes in flight per process: more only lengthens the server's accept queue.
CONCURRENCY = 50


async def _next_message(connection: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = orjson.loads(await connection.recv())
        if message["type"] != "ping":
            return message
        await connection.send(orjson.dumps({"type": "pong"}).decode())


async def subscribe(url: str, token: str, appointment: str) -> ClientConnection:
    # Keep-alive pings off: over a run of minutes they are noise, not part of the fan-out.
    # A server busy setting up thousands of others answers handshakes late, not wrongly.
    connection = await connect(
        url,
        subprotocols=[PROTOCOL],
        ping_interval=None,
        max_queue=4,
        open_timeout=STEP_TIMEOUT_SECONDS,
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await connection.send(orjson.dumps(init).decode())
    ack = await _next_message(connection)
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"connection_init refused: {ack}")
    payload = {"query": SUBSCRIPTION, "variables": {"id": appointment}}
    await connection.send(
        orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode()
    )
    current = await _next_message(connection)
    if current["type"] != "next" or current["payload"].get("errors"):
        raise RuntimeError(f"subscription refused: {current}")
    return connection


async def receive_change(connection: ClientConnection) -> tuple[float, dict[str, Any]]:
    message = await _next_message(connection)
    received = time.time()
    if message["type"] != "next" or message["payload"].get("errors"):
        raise RuntimeError(f"unexpected message: {message}")
    event: dict[str, Any] = message["payload"]["data"]["appointmentStatus"]
    return received, event


async def main(args: argparse.Namespace) -> None:
    limit = asyncio.Semaphore(args.concurrency)

    async def one() -> ClientConnection:
        async with limit:
            return await subscribe(args.url, args.token, args.appointment)

    started = time.monotonic()
    async with asyncio.timeout(args.timeout):
        connections = await asyncio.gather(*(one() for _ in range(args.count)))
    print(f"READY {len(connections)} {time.monotonic() - started:.3f}", flush=True)
    async with asyncio.timeout(args.timeout):
        results = await asyncio.gather(*(receive_change(c) for c in connections))
    events = {(e["status"], e["version"], e["occurredAt"]) for _, e in results}
    if len(events) != 1:
        raise RuntimeError(f"subscribers received different events: {sorted(events)[:5]}")
    status, version, occurred_at = events.pop()
    result = {
        "status": status,
        "version": version,
        "occurred_at": occurred_at,
        "received": [received for received, _ in results],
    }
    print("RESULT " + orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.live.subscribers")
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--appointment", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--timeout", type=float, default=STEP_TIMEOUT_SECONDS * 5)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(parser.parse_args()))
    sys.stdout.flush()
