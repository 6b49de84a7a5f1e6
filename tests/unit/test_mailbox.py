"""A subscriber's bounded buffer: in order, bounded, and nothing held while idle."""

import asyncio
import tracemalloc

import pytest

from application.event_stream import SubscriberTooSlow
from infra.pubsub.mailbox import Mailbox


async def test_messages_come_out_in_order_across_drains() -> None:
    mailbox = Mailbox(4)
    got = []
    for batch in ([b"1", b"2"], [b"3"], [b"4", b"5", b"6"]):
        for message in batch:
            assert mailbox.put(message)
        got += [await anext(mailbox) for _ in batch]
    assert got == [b"1", b"2", b"3", b"4", b"5", b"6"]


async def test_a_waiting_reader_is_woken_by_the_next_message() -> None:
    mailbox = Mailbox(4)
    reading = asyncio.ensure_future(anext(mailbox))
    await asyncio.sleep(0)
    assert not reading.done()
    mailbox.put(b"hello")
    assert await reading == b"hello"


async def test_the_bound_holds_after_the_buffer_was_drained_once() -> None:
    mailbox = Mailbox(2)
    mailbox.put(b"a")
    assert await anext(mailbox) == b"a"
    assert mailbox.put(b"b")
    assert mailbox.put(b"c")
    assert not mailbox.put(b"d")
    assert [await anext(mailbox), await anext(mailbox)] == [b"b", b"c"]
    with pytest.raises(SubscriberTooSlow):
        await anext(mailbox)


def test_idle_mailboxes_hold_no_buffer() -> None:
    # A deque alone takes about 600 bytes: thousands of idle subscribers would hold
    # megabytes of empty buffers.
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        mailboxes = [Mailbox(256) for _ in range(1000)]
        per_mailbox = (tracemalloc.get_traced_memory()[0] - before) / len(mailboxes)
    finally:
        tracemalloc.stop()
    assert per_mailbox < 200
