"""The consumer's handling of each message, and of a database outage, on the in-process
queue with fakes of the other ports."""

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
from worker_fakes import (
    DECIDED_AT,
    WAIT_SECONDS,
    Outcomes,
    ScriptedDecisions,
    SpyQueue,
    SwitchableProbe,
    command,
    decision,
    pending,
)

from application.changes import StatusChange
from application.commands import DecideAppointment, RejectFailedRequest
from application.errors import DatabaseUnavailable
from application.queued_work import WorkerCommand
from domain.appointments import AppointmentStatus, RejectionReason
from infra.queue.depths import QueueDepth
from infra.queue.memory_queue import InMemoryDeadLetterQueue, in_memory_queue
from worker.backoff import Backoff
from worker.consumer import Consumer
from worker.outage import DatabaseOutage
from worker.ports import OutgoingMessage

MAX_RECEIVES = 2
TINY = 0.001  # backoff base: the pauses stay real but short


def database_up() -> None:
    return None


@dataclass
class Rig:
    queue: SpyQueue
    dead_letters: InMemoryDeadLetterQueue
    outcomes: Outcomes
    probe: SwitchableProbe

    def consumer(self, decisions: ScriptedDecisions) -> Consumer:
        return Consumer(
            self.queue,
            decisions.decide,
            decisions.reject_failed,
            lambda: DECIDED_AT,
            DatabaseOutage(self.probe, Backoff(base=TINY, cap=TINY * 10)),
            observer=self.outcomes,
            concurrency=1,
            wait_seconds=0.05,
            retry_base=TINY,
            retry_cap=TINY * 10,
            rng=random.Random(7),
        )

    async def consume_until(
        self, decisions: ScriptedDecisions, outcome: str, count: int = 1
    ) -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(self.consumer(decisions).run(stop))
        try:
            await self.outcomes.wait_for(outcome, count)
        finally:
            stop.set()
            await asyncio.wait_for(running, WAIT_SECONDS)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with in_memory_queue(max_receive_count=MAX_RECEIVES) as (queue, dead_letters):
        yield Rig(SpyQueue(queue), dead_letters, Outcomes(), SwitchableProbe(database_up))


async def send(rig: Rig, message: OutgoingMessage) -> None:
    await rig.queue.send_batch([message])


def confirmed() -> tuple[ScriptedDecisions, StatusChange]:
    appointment = pending()
    done = decision(appointment, AppointmentStatus.CONFIRMED, None)
    return ScriptedDecisions(appointment, [done]), done


async def test_a_message_becomes_the_decision_command_and_is_acknowledged_once_decided(
    rig: Rig,
) -> None:
    decisions, _ = confirmed()
    await send(rig, command(decisions.appointment.id))

    await rig.consume_until(decisions, "confirmed")

    assert decisions.commands == [DecideAppointment(decisions.appointment.id, "req-1")]
    assert rig.outcomes.seen == [("confirmed", 3.0)]
    assert await rig.queue.depth() == QueueDepth(visible=0, in_flight=0)


async def test_a_rejection_is_observed_with_its_reason(rig: Rig) -> None:
    appointment = pending()
    rejected = decision(appointment, AppointmentStatus.REJECTED, RejectionReason.SLOT_TAKEN.value)
    await send(rig, command(appointment.id))

    await rig.consume_until(ScriptedDecisions(appointment, [rejected]), "rejected:SLOT_TAKEN")

    assert rig.outcomes.names == ["rejected:SLOT_TAKEN"]


async def test_an_already_decided_request_is_observed_and_acknowledged(rig: Rig) -> None:
    appointment = pending()
    await send(rig, command(appointment.id))

    await rig.consume_until(ScriptedDecisions(appointment, [None]), "already_decided")

    assert rig.outcomes.seen == [("already_decided", None)]
    assert await rig.queue.depth() == QueueDepth(visible=0, in_flight=0)


async def test_an_unreadable_message_is_observed_each_time_until_it_is_dead_lettered(
    rig: Rig,
) -> None:
    await rig.queue.send_batch(
        [OutgoingMessage(deduplication_id="junk", group="psychologist-1", body="{not json")]
    )
    decisions, _ = confirmed()

    await rig.consume_until(decisions, "unreadable", MAX_RECEIVES)
    # The queue moves a message on the first receive after its last retry delay.
    assert await rig.queue.receive(max_messages=10, wait_seconds=0.5, visibility_timeout=1) == []

    assert await rig.dead_letters.count() == 1
    assert rig.outcomes.names == ["unreadable"] * MAX_RECEIVES
    assert decisions.script, "no decision was attempted"


async def test_a_failing_decision_is_retried_then_rejected_processing_failed_on_the_last_try(
    rig: Rig,
) -> None:
    appointment = pending()
    mistake = RuntimeError("a bug in the decision")
    decisions = ScriptedDecisions(appointment, [mistake, mistake])
    await send(rig, command(appointment.id))

    await rig.consume_until(decisions, "rejected:PROCESSING_FAILED")

    assert rig.outcomes.seen == [("retried", None), ("rejected:PROCESSING_FAILED", 3.0)]
    assert decisions.rejections == [appointment.id]
    assert [m.receive_count for m in rig.queue.received] == [1, 2]


async def test_during_an_outage_the_message_is_put_back_and_nothing_received_until_a_probe_answers(
    rig: Rig,
) -> None:
    appointment = pending()
    done = decision(appointment, AppointmentStatus.CONFIRMED, None)
    decisions = ScriptedDecisions(appointment, [DatabaseUnavailable("connection refused"), done])
    down_for = 3

    def database_back_after_three_checks() -> None:
        if rig.probe.checks <= down_for:
            raise DatabaseUnavailable("connection refused")

    rig.probe.answer = database_back_after_three_checks
    await send(rig, command(appointment.id))

    await rig.consume_until(decisions, "confirmed")

    assert rig.outcomes.names == ["retried", "confirmed"]
    assert rig.probe.checks == down_for + 1
    # Received once before the outage and once after it: the failed probes cost no receive.
    assert [m.receive_count for m in rig.queue.received] == [1, 2]
    assert decisions.rejections == []


async def test_a_worker_told_to_stop_during_an_outage_stops(rig: Rig) -> None:
    appointment = pending()
    decisions = ScriptedDecisions(appointment, [DatabaseUnavailable("connection refused")])

    def database_down() -> None:
        raise DatabaseUnavailable("connection refused")

    rig.probe.answer = database_down
    await send(rig, command(appointment.id))
    stop = asyncio.Event()
    running = asyncio.create_task(rig.consumer(decisions).run(stop))

    await rig.probe.wait_for_checks(2)
    stop.set()
    await asyncio.wait_for(running, WAIT_SECONDS)

    assert rig.outcomes.names == ["retried"]
    assert len(rig.queue.received) == 1


class HeldDecisions:
    """Decisions that wait, each until the test lets it finish; they note when each starts
    and ends, and how many run at once."""

    def __init__(self) -> None:
        self.started: list[UUID] = []
        self.finished: list[UUID] = []
        self.running = 0
        self.most_at_once = 0
        self._release: dict[UUID, asyncio.Event] = {}
        self._changed = asyncio.Event()

    def release(self, appointment_id: UUID) -> None:
        self._release.setdefault(appointment_id, asyncio.Event()).set()

    async def decide(self, command: WorkerCommand) -> StatusChange | None:
        self.started.append(command.appointment_id)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self._changed.set()
        await self._release.setdefault(command.appointment_id, asyncio.Event()).wait()
        self.running -= 1
        self.finished.append(command.appointment_id)
        self._changed.set()
        return decision(pending(id=command.appointment_id), AppointmentStatus.CONFIRMED, None)

    async def reject_failed(self, command: RejectFailedRequest) -> StatusChange | None:
        raise AssertionError("no decision fails here")

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


def held_consumer(rig: Rig, held: HeldDecisions, parallel: int) -> Consumer:
    return Consumer(
        rig.queue,
        held.decide,
        held.reject_failed,
        lambda: DECIDED_AT,
        DatabaseOutage(rig.probe, Backoff(base=TINY, cap=TINY * 10)),
        observer=rig.outcomes,
        parallel_decisions=parallel,
    )


async def test_groups_of_one_receive_are_decided_side_by_side_each_in_its_order(
    rig: Rig,
) -> None:
    first, second, other = uuid4(), uuid4(), uuid4()
    await rig.queue.send_batch(
        [
            command(first, "psychologist-a"),
            command(second, "psychologist-a"),
            command(other, "psychologist-b"),
        ]
    )
    received = await rig.queue.receive(max_messages=10, wait_seconds=0, visibility_timeout=30)
    assert len(received) == 3
    held = HeldDecisions()
    handling = asyncio.create_task(held_consumer(rig, held, parallel=8).handle_batch(received))

    # Both groups start at once; the second of a group waits for the first.
    await held.wait_until(lambda: set(held.started) == {first, other})
    held.release(other)
    await held.wait_until(lambda: held.finished == [other])
    assert second not in held.started
    held.release(second)
    held.release(first)
    await asyncio.wait_for(handling, WAIT_SECONDS)

    assert held.finished == [other, first, second]
    assert held.started.index(second) > held.started.index(first)
    # Deleted together once all were handled.
    assert await rig.queue.depth() == QueueDepth(visible=0, in_flight=0)


async def test_no_more_decisions_run_at_once_than_allowed(rig: Rig) -> None:
    ids = [uuid4() for _ in range(6)]
    await rig.queue.send_batch([command(i, f"psychologist-{n}") for n, i in enumerate(ids)])
    received = await rig.queue.receive(max_messages=10, wait_seconds=0, visibility_timeout=30)
    held = HeldDecisions()
    handling = asyncio.create_task(held_consumer(rig, held, parallel=2).handle_batch(received))

    # Let them finish one at a time, each as soon as two are running (or the last one is).
    for finished in range(len(ids)):
        await held.wait_until(lambda: held.running == min(2, len(ids) - finished))  # noqa: B023
        held.release(next(i for i in held.started if i not in held.finished))
        await held.wait_until(lambda: len(held.finished) == finished + 1)  # noqa: B023
    await asyncio.wait_for(handling, WAIT_SECONDS)

    assert sorted(held.finished) == sorted(ids)
    assert held.most_at_once == 2
    assert await rig.queue.depth() == QueueDepth(visible=0, in_flight=0)
