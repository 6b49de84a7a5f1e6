"""One psychologist's ``appointmentEvents`` feed, read in a process of its own.

Run by the live suite's feed part as ``python -m bench.live.feed_listener``. It prints
``READY`` once subscribed, ``FIRST`` at the first event (the bench's probe), then, once it
reads ``EXPECT <n>`` on its standard input, waits until it holds ``n`` more events (or
the drain timeout) and prints ``RESULT`` with, per event, the appointment, the status,
``occurredAt`` and the wall-clock time (``time.time()``) it was read.
"""

import argparse
import asyncio
import sys
import time
from typing import Any

import orjson

from bench.live.feed_subscription import subscribe_to_events


async def main(url: str, token: str, drain: float) -> None:
    connection = await subscribe_to_events(url, token)
    print("READY", flush=True)
    events: list[tuple[str, str, str, float]] = []
    first = asyncio.Event()
    enough = asyncio.Event()
    expected = 0

    async def listen() -> None:
        async for raw in connection:
            received = time.time()
            message: dict[str, Any] = orjson.loads(raw)
            if message["type"] == "ping":
                await connection.send(orjson.dumps({"type": "pong"}).decode())
                continue
            if message["type"] != "next" or message["payload"].get("errors"):
                raise RuntimeError(f"unexpected message {message}")
            event = message["payload"]["data"]["appointmentEvents"]
            events.append((event["appointmentId"], event["status"], event["occurredAt"], received))
            first.set()
            if expected and len(events) >= expected:
                enough.set()

    listener = asyncio.create_task(listen())
    await first.wait()
    print("FIRST", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    expected = 1 + int(line.removeprefix("EXPECT ").strip())
    if len(events) >= expected:
        enough.set()
    waiting = asyncio.create_task(enough.wait())
    await asyncio.wait([waiting, listener], timeout=drain, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if listener.done():
        listener.result()
    listener.cancel()
    await connection.close()
    print("RESULT " + orjson.dumps(events[1:]).decode(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.live.feed_listener")
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--drain", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.token, args.drain))
