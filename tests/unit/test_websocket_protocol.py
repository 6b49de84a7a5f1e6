"""The lighter parts of the websocket protocol behave as the asyncio ones they replace,
for what uvicorn asks of them, and hold nothing while idle."""

import asyncio
import tracemalloc

import pytest

from appointment_api.websocket_protocol import Flag, Inbox


async def test_the_inbox_hands_out_events_in_order_and_wakes_its_reader() -> None:
    inbox = Inbox()
    assert inbox.empty()
    reading = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not reading.done()

    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "text": "1"})
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})

    assert await reading == {"type": "websocket.connect"}
    assert inbox.qsize() == 2
    assert await inbox.get() == {"type": "websocket.receive", "text": "1"}
    assert await inbox.get() == {"type": "websocket.disconnect", "code": 1000}
    assert inbox.empty()


async def test_a_cancelled_read_loses_no_event() -> None:
    inbox = Inbox()
    reading = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading

    inbox.put_nowait({"type": "websocket.connect"})

    assert await inbox.get() == {"type": "websocket.connect"}


async def test_the_flag_lets_writers_through_only_while_set() -> None:
    flag = Flag()
    flag.set()
    assert await flag.wait() is True

    flag.clear()
    assert not flag.is_set()
    writers = [asyncio.ensure_future(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(writer.done() for writer in writers)

    flag.set()
    assert await asyncio.gather(*writers) == [True, True]


async def test_a_cancelled_wait_leaves_the_flag_usable() -> None:
    flag = Flag()
    waiting = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    flag.set()

    assert await flag.wait() is True


async def test_idle_inboxes_and_flags_are_small() -> None:
    # asyncio.Queue and asyncio.Event take about 3 KiB between them (four deques).
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pairs = [(Inbox(), Flag()) for _ in range(1000)]
        for _, flag in pairs:
            flag.set()
        per_connection = (tracemalloc.get_traced_memory()[0] - before) / len(pairs)
    finally:
        tracemalloc.stop()
    assert per_connection < 600
