"""One contract for every message-queue adapter: SQS FIFO (moto's server) and the in-process queue.

Time passes differently for each: the in-process queue runs on a clock the test
moves, SQS on the wall clock, so "wait until it comes back" is a receive loop
that either moves the clock a step or long-polls, up to a deadline.
"""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from infra.queue.dead_letters import list_dead_letters
from infra.queue.depths import QueueDepth, queue_depths
from infra.queue.memory_queue import InMemoryDeadLetterQueue, InMemoryQueue, in_memory_queue
from infra.queue.sqs_admin import QueueUrls, create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from infra.queue.sqs_queue import SqsDeadLetterQueue, SqsQueue, open_sqs
from support.processes import free_port
from support.services import SqsServer
from worker.ports import (
    DeadLetterQueue,
    MessageQueue,
    OutgoingMessage,
    QueueUnavailable,
    ReceivedMessage,
)

MAX_RECEIVES = 2
STEP_SECONDS = 0.25
HOLD = 30.0  # a visibility timeout no test outlives

Source = MessageQueue | DeadLetterQueue


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Bench:
    queue: SqsQueue | InMemoryQueue
    dead_letters: SqsDeadLetterQueue | InMemoryDeadLetterQueue
    now: Callable[[], float]
    let_time_pass: Callable[[float], None]
    poll_wait: float

    async def receive_now(
        self, source: Source, *, visibility_timeout: float = HOLD
    ) -> list[ReceivedMessage]:
        return await source.receive(
            max_messages=10, wait_seconds=0, visibility_timeout=visibility_timeout
        )

    async def receive_eventually(
        self, source: Source, *, within: float, visibility_timeout: float = HOLD
    ) -> list[ReceivedMessage]:
        """The first non-empty receive before ``within`` seconds have passed, else []."""
        deadline = self.now() + within
        while True:
            got = await source.receive(
                max_messages=10, wait_seconds=self.poll_wait, visibility_timeout=visibility_timeout
            )
            if got or self.now() >= deadline:
                return got
            self.let_time_pass(STEP_SECONDS)


def message(group: str = "psychologist-1", **attributes: str) -> OutgoingMessage:
    return OutgoingMessage(
        deduplication_id=uuid.uuid4().hex,
        group=group,
        body=json.dumps({"n": uuid.uuid4().hex}),
        attributes=attributes,
    )


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def sqs_endpoint(sqs_endpoint_url: str) -> SqsEndpoint:
    return SqsEndpoint(region=SqsServer.region, endpoint_url=sqs_endpoint_url)


@pytest.fixture
async def sqs_queue_urls(sqs_endpoint: SqsEndpoint) -> AsyncIterator[QueueUrls]:
    """A FIFO queue and its dead-letter queue of this test's own."""
    name = unique_name("contract")
    async with sqs_client(sqs_endpoint) as client:
        urls = await create_queues(
            client, f"{name}.fifo", f"{name}-dead.fifo", max_receive_count=MAX_RECEIVES
        )
        try:
            yield urls
        finally:
            await client.delete_queue(QueueUrl=urls.queue)
            await client.delete_queue(QueueUrl=urls.dead_letters)


@pytest.fixture
async def memory_bench() -> AsyncIterator[Bench]:
    clock = FakeClock()
    async with in_memory_queue(max_receive_count=MAX_RECEIVES, clock=clock) as pair:
        yield Bench(*pair, now=clock, let_time_pass=clock.advance, poll_wait=0)


@pytest.fixture
async def sqs_bench(sqs_queue_urls: QueueUrls, sqs_endpoint: SqsEndpoint) -> AsyncIterator[Bench]:
    # No max_receive_count given: it is read from the RedrivePolicy.
    async with open_sqs(sqs_queue_urls.queue, sqs_queue_urls.dead_letters, sqs_endpoint) as pair:
        yield Bench(*pair, now=time.monotonic, let_time_pass=lambda _: None, poll_wait=1)


@pytest.fixture(params=["memory", "sqs"])
def bench(request: pytest.FixtureRequest) -> Bench:
    found: Bench = request.getfixturevalue(f"{request.param}_bench")
    return found


async def dead_letter(bench: Bench, sent: OutgoingMessage) -> None:
    """Send a message and receive it until the queue gives up on it."""
    await bench.queue.send_batch([sent])
    for _ in range(bench.queue.max_receive_count):
        [received] = await bench.receive_eventually(bench.queue, within=5)
        await bench.queue.retry_later(received, 0)
    # The next receive finds it received too often and moves it instead.
    deadline = bench.now() + 5
    while await bench.dead_letters.count() == 0:
        assert bench.now() < deadline, "the message never reached the dead-letter queue"
        assert await bench.receive_eventually(bench.queue, within=0) == []
        bench.let_time_pass(STEP_SECONDS)


async def test_a_sent_batch_is_received_with_body_attributes_group_and_receive_count(
    bench: Bench,
) -> None:
    first = message("psychologist-1", request_id="req-1", topic="decide")
    second = message("psychologist-2", request_id="req-2")
    await bench.queue.send_batch([first, second])

    received = await bench.receive_eventually(bench.queue, within=5)
    if len(received) < 2:
        received += await bench.receive_eventually(bench.queue, within=5)

    by_body = {item.body: item for item in received}
    assert set(by_body) == {first.body, second.body}
    assert dict(by_body[first.body].attributes) == {"request_id": "req-1", "topic": "decide"}
    assert dict(by_body[second.body].attributes) == {"request_id": "req-2"}
    assert [by_body[m.body].group for m in (first, second)] == ["psychologist-1", "psychologist-2"]
    assert {item.receive_count for item in received} == {1}
    assert len({item.message_id for item in received}) == 2


async def test_messages_of_a_group_are_delivered_in_the_order_sent(bench: Bench) -> None:
    sent = [message("psychologist-1") for _ in range(4)]
    await bench.queue.send_batch(sent)

    delivered: list[str] = []
    while len(delivered) < len(sent):
        batch = await bench.receive_eventually(bench.queue, within=5)
        assert batch, f"only {len(delivered)} of {len(sent)} delivered"
        for item in batch:
            delivered.append(item.body)
            await bench.queue.delete(item)

    assert delivered == [m.body for m in sent]


async def test_a_group_waits_while_one_of_its_messages_is_in_flight_and_others_do_not(
    bench: Bench,
) -> None:
    first, second = message("psychologist-1"), message("psychologist-1")
    other = message("psychologist-2")
    await bench.queue.send_batch([first, second, other])

    [held] = await bench.queue.receive(max_messages=1, wait_seconds=1, visibility_timeout=HOLD)
    assert held.body == first.body

    while_held = await bench.receive_eventually(bench.queue, within=5)
    assert [item.body for item in while_held] == [other.body]
    assert await bench.receive_now(bench.queue) == []

    await bench.queue.delete(held)
    after_delete = await bench.receive_eventually(bench.queue, within=5)
    assert [item.body for item in after_delete] == [second.body]


async def test_a_message_not_deleted_comes_back_after_its_visibility_timeout(
    bench: Bench,
) -> None:
    sent = message()
    await bench.queue.send_batch([sent])
    [first] = await bench.receive_eventually(bench.queue, within=5, visibility_timeout=1)
    assert await bench.receive_now(bench.queue) == []

    [again] = await bench.receive_eventually(bench.queue, within=10)

    assert (again.message_id, again.body) == (first.message_id, sent.body)
    assert again.receive_count == first.receive_count + 1


async def test_a_deleted_message_does_not_come_back(bench: Bench) -> None:
    deleted, kept = message("psychologist-1"), message("psychologist-2")
    await bench.queue.send_batch([deleted, kept])
    received = await bench.receive_eventually(bench.queue, within=5, visibility_timeout=1)
    if len(received) < 2:
        received += await bench.receive_eventually(bench.queue, within=5, visibility_timeout=1)
    [to_delete] = [item for item in received if item.body == deleted.body]

    await bench.queue.delete(to_delete)

    # The kept one coming back shows the visibility timeout is over for both.
    back = await bench.receive_eventually(bench.queue, within=10)
    assert [item.body for item in back] == [kept.body]
    assert await bench.receive_now(bench.queue) == []


async def test_retry_later_shows_the_message_again_after_the_delay_and_not_before(
    bench: Bench,
) -> None:
    await bench.queue.send_batch([message()])
    [received] = await bench.receive_eventually(bench.queue, within=5)

    await bench.queue.retry_later(received, 2)
    asked_at = bench.now()
    assert await bench.receive_now(bench.queue) == []
    [again] = await bench.receive_eventually(bench.queue, within=10)
    waited = bench.now() - asked_at

    assert again.message_id == received.message_id
    assert again.receive_count == 2
    assert 2 - 0.05 <= waited < 2 + 2


async def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(
    bench: Bench,
) -> None:
    assert bench.queue.max_receive_count == MAX_RECEIVES
    sent = message("psychologist-7", request_id="req-7")

    await dead_letter(bench, sent)

    [letter] = await bench.receive_eventually(bench.dead_letters, within=5)
    assert (letter.body, letter.group) == (sent.body, "psychologist-7")
    assert dict(letter.attributes) == {"request_id": "req-7"}
    assert await bench.dead_letters.count() == 1
    assert await bench.receive_now(bench.queue) == []


async def test_a_dead_letter_hidden_for_a_while_comes_back_after_it(bench: Bench) -> None:
    await dead_letter(bench, message())
    [letter] = await bench.receive_eventually(bench.dead_letters, within=5)

    await bench.dead_letters.hide(letter, 1)
    assert await bench.receive_now(bench.dead_letters) == []
    [again] = await bench.receive_eventually(bench.dead_letters, within=10)

    assert again.message_id == letter.message_id
    await bench.dead_letters.delete(again)
    assert await bench.dead_letters.count() == 0


async def test_a_batch_of_more_than_ten_is_refused_and_nothing_is_sent(bench: Bench) -> None:
    with pytest.raises(ValueError, match="at most 10"):
        await bench.queue.send_batch([message() for _ in range(11)])

    assert await bench.receive_eventually(bench.queue, within=0) == []


async def test_a_deduplication_id_still_in_the_queue_is_not_queued_twice(bench: Bench) -> None:
    sent = message()
    await bench.queue.send_batch([sent])
    await bench.queue.send_batch([sent])

    received = await bench.receive_eventually(bench.queue, within=5)

    assert [item.body for item in received] == [sent.body]
    assert await bench.receive_now(bench.queue) == []


async def test_a_waiting_receive_wakes_as_soon_as_a_message_is_sent(bench: Bench) -> None:
    receiving = asyncio.ensure_future(
        bench.queue.receive(max_messages=10, wait_seconds=15, visibility_timeout=HOLD)
    )
    done, _ = await asyncio.wait({receiving}, timeout=0.3)
    assert not done, "returned before anything was sent"

    sent = message()
    sent_at = time.monotonic()
    await bench.queue.send_batch([sent])
    received = await asyncio.wait_for(receiving, timeout=5)

    assert [item.body for item in received] == [sent.body]
    assert time.monotonic() - sent_at < 2


async def test_a_receive_with_nothing_to_receive_returns_empty_after_its_wait(
    bench: Bench,
) -> None:
    started = time.monotonic()

    assert await bench.queue.receive(max_messages=10, wait_seconds=1, visibility_timeout=1) == []
    assert time.monotonic() - started < 5


async def test_depths_count_visible_and_in_flight_messages(bench: Bench) -> None:
    await bench.queue.send_batch([message("psychologist-1"), message("psychologist-2")])
    held = await bench.queue.receive(max_messages=1, wait_seconds=1, visibility_timeout=HOLD)

    depths = await queue_depths(bench.queue, bench.dead_letters)

    assert len(held) == 1
    assert depths.queue == QueueDepth(visible=1, in_flight=1)
    assert depths.dead_letters == QueueDepth(visible=0, in_flight=0)


async def test_dead_letters_are_listed_in_place_and_in_view_again_at_once(bench: Bench) -> None:
    sent = message("psychologist-3", request_id="req-3")
    await dead_letter(bench, sent)

    listed = await list_dead_letters(bench.dead_letters, 10, wait_seconds=bench.poll_wait)
    listed_again = await list_dead_letters(bench.dead_letters, 10, wait_seconds=bench.poll_wait)

    assert [(letter.body, letter.group) for letter in listed] == [(sent.body, "psychologist-3")]
    assert dict(listed[0].attributes) == {"request_id": "req-3"}
    assert [letter.message_id for letter in listed_again] == [listed[0].message_id]
    assert listed_again[0].receive_count > listed[0].receive_count
    assert await bench.dead_letters.count() == 1
    [still_there] = await bench.receive_now(bench.dead_letters)
    assert still_there.message_id == listed[0].message_id


async def test_a_closed_queue_refuses_every_call_as_unavailable(bench: Bench) -> None:
    await bench.queue.send_batch([message()])
    [received] = await bench.receive_eventually(bench.queue, within=5)

    await bench.queue.close()

    with pytest.raises(QueueUnavailable):
        await bench.queue.send_batch([message()])
    with pytest.raises(QueueUnavailable):
        await bench.queue.receive(max_messages=1, wait_seconds=0, visibility_timeout=1)
    with pytest.raises(QueueUnavailable):
        await bench.queue.delete(received)
    with pytest.raises(QueueUnavailable):
        await bench.queue.retry_later(received, 0)


# --- SQS only: an unreachable server, and creating the queues ----------------------------


@pytest.fixture
def unreachable() -> SqsEndpoint:
    # A port nobody listens on; one attempt per call keeps the refusals quick.
    return SqsEndpoint(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)


async def test_sqs_calls_raise_queue_unavailable_when_the_server_is_unreachable(
    unreachable: SqsEndpoint,
) -> None:
    url = f"{unreachable.endpoint_url}/123456789012/nowhere.fifo"
    somebody = ReceivedMessage(
        message_id="m-1", receipt="r-1", body="{}", attributes={}, receive_count=1
    )
    async with open_sqs(url, url, unreachable, max_receive_count=MAX_RECEIVES) as (queue, dlq):
        with pytest.raises(QueueUnavailable):
            await queue.send_batch([message()])
        with pytest.raises(QueueUnavailable):
            await queue.receive(max_messages=10, wait_seconds=1, visibility_timeout=1)
        with pytest.raises(QueueUnavailable):
            await queue.delete(somebody)
        with pytest.raises(QueueUnavailable):
            await queue.retry_later(somebody, 5)
        with pytest.raises(QueueUnavailable):
            await dlq.hide(somebody, 5)
        with pytest.raises(QueueUnavailable):
            await dlq.count()


async def test_opening_sqs_without_a_max_receive_count_needs_the_server(
    unreachable: SqsEndpoint,
) -> None:
    url = f"{unreachable.endpoint_url}/123456789012/nowhere.fifo"
    with pytest.raises(QueueUnavailable):
        async with open_sqs(url, url, unreachable):
            pass


async def test_create_queues_is_idempotent_and_sets_the_redrive_policy(
    sqs_endpoint: SqsEndpoint,
) -> None:
    name = unique_name("admin")
    async with sqs_client(sqs_endpoint) as client:
        first = await create_queues(
            client, f"http://example.invalid/1/{name}.fifo", f"{name}-dead.fifo"
        )
        second = await create_queues(client, f"{name}.fifo", f"{name}-dead.fifo")
        main = await client.get_queue_attributes(QueueUrl=first.queue, AttributeNames=["All"])
        dead = await client.get_queue_attributes(
            QueueUrl=first.dead_letters, AttributeNames=["All"]
        )
        changed = await create_queues(
            client,
            f"{name}.fifo",
            f"{name}-dead.fifo",
            max_receive_count=9,
            visibility_timeout_seconds=45,
        )
        after = await client.get_queue_attributes(QueueUrl=first.queue, AttributeNames=["All"])
        await client.delete_queue(QueueUrl=first.queue)
        await client.delete_queue(QueueUrl=first.dead_letters)

    assert first == second == changed
    assert first.queue.endswith(f"/{name}.fifo")
    assert first.dead_letters.endswith(f"/{name}-dead.fifo")
    assert main["Attributes"]["FifoQueue"] == dead["Attributes"]["FifoQueue"] == "true"
    policy = json.loads(main["Attributes"]["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == dead["Attributes"]["QueueArn"]
    assert int(policy["maxReceiveCount"]) == 5
    assert int(json.loads(after["Attributes"]["RedrivePolicy"])["maxReceiveCount"]) == 9
    assert after["Attributes"]["VisibilityTimeout"] == "45"


async def test_create_queues_refuses_names_that_are_not_fifo(sqs_endpoint: SqsEndpoint) -> None:
    async with sqs_client(sqs_endpoint) as client:
        with pytest.raises(ValueError, match=r"\.fifo"):
            await create_queues(client, "plain", "plain-dead.fifo")
