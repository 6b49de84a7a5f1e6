"""One Redis connection in subscribe mode, multiplexed to every subscriber of the process."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from application.event_stream import StreamInterrupted
from infra.pubsub.mailbox import Mailbox, deliver

log = logging.getLogger("appointment_api.pubsub")

Command = tuple[str, ...]


@dataclass(eq=False)
class _Waiter:
    """A subscriber waiting for Redis to confirm its channels."""

    needs: dict[str, int]  # channel -> how many confirmations of it must have arrived
    confirmed: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RedisListener:
    """Reads every message of the connection and hands it to the subscribers' mailboxes.

    A channel is subscribed in Redis while at least one local subscriber wants it.
    Redis answers SUBSCRIBE commands in order, so counting the commands sent and
    the confirmations read per channel tells exactly when the latest one is in
    force, even when a channel is left and taken again in quick succession.

    Any failure of the connection (including no answer to the periodic PING) ends
    every subscription with StreamInterrupted; the listener is not reused after.
    """

    def __init__(
        self, connection: AbstractConnection, *, ping_interval: float, confirm_timeout: float
    ) -> None:
        self._connection = connection
        self._ping_interval = ping_interval
        self._confirm_timeout = confirm_timeout
        self._mailboxes: dict[str, set[Mailbox]] = {}
        self._sent: dict[str, int] = {}
        self._confirmations: dict[str, int] = {}
        self._waiters: dict[str, list[_Waiter]] = {}
        self._outgoing: asyncio.Queue[Command] = asyncio.Queue()
        self._failure: StreamInterrupted | None = None
        self._tasks = [
            asyncio.create_task(self._read(), name="redis-listener-read"),
            asyncio.create_task(self._write(), name="redis-listener-write"),
        ]

    @property
    def alive(self) -> bool:
        return self._failure is None

    @property
    def channels(self) -> int:
        return len(self._mailboxes)

    async def add(self, mailbox: Mailbox, channels: Sequence[str]) -> None:
        """Deliver the channels' messages to ``mailbox`` once Redis confirms them."""
        self._raise_if_failed()
        fresh = [channel for channel in dict.fromkeys(channels) if channel not in self._mailboxes]
        for channel in channels:
            self._mailboxes.setdefault(channel, set()).add(mailbox)
        if fresh:
            for channel in fresh:
                self._sent[channel] = self._sent.get(channel, 0) + 1
            self._outgoing.put_nowait(("SUBSCRIBE", *fresh))
        needs = {
            channel: self._sent[channel]
            for channel in channels
            if self._confirmations.get(channel, 0) < self._sent[channel]
        }
        if needs:
            await self._wait_for(_Waiter(needs))

    def remove(self, mailbox: Mailbox, channels: Sequence[str]) -> None:
        """Stop delivering to ``mailbox``; channels nobody wants any more are left in Redis."""
        left = []
        for channel in dict.fromkeys(channels):
            receivers = self._mailboxes.get(channel)
            if receivers is None:
                continue
            receivers.discard(mailbox)
            if not receivers:
                del self._mailboxes[channel]
                left.append(channel)
        if left and self.alive:
            self._outgoing.put_nowait(("UNSUBSCRIBE", *left))

    async def close(self, reason: str) -> None:
        self._lose(StreamInterrupted(reason))
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._connection.disconnect(nowait=True)

    async def _wait_for(self, waiter: _Waiter) -> None:
        channels = list(waiter.needs)  # needs shrinks as confirmations arrive
        for channel in channels:
            self._waiters.setdefault(channel, []).append(waiter)
        try:
            async with asyncio.timeout(self._confirm_timeout):
                await waiter.confirmed
        except TimeoutError:
            # Answers come in order: a missing one means the connection is stuck.
            self._lose(StreamInterrupted("Redis did not confirm a subscription in time"))
            self._raise_if_failed()
        finally:
            for channel in channels:
                waiting = self._waiters.get(channel, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                if not waiting:
                    self._waiters.pop(channel, None)

    async def _read(self) -> None:
        try:
            while True:
                reply = await self._connection.read_response(timeout=self._ping_interval * 3)
                message, receivers = self._dispatch(reply)
                if receivers:
                    await deliver(message, receivers)
        except (RedisError, OSError) as error:
            self._lose(StreamInterrupted(f"lost the connection to Redis: {error}"))
        finally:
            await self._connection.disconnect(nowait=True)

    async def _write(self) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self._ping_interval):
                        first = await self._outgoing.get()
                except TimeoutError:
                    # Answered even in subscribe mode: proves the connection still works.
                    first = ("PING",)
                commands = [first]
                while not self._outgoing.empty():
                    commands.append(self._outgoing.get_nowait())
                await self._connection.send_packed_command(self._connection.pack_commands(commands))
        except (RedisError, OSError) as error:
            self._lose(StreamInterrupted(f"lost the connection to Redis: {error}"))

    def _dispatch(self, reply: object) -> tuple[bytes, tuple[Mailbox, ...]]:
        """Handles a reply; for a message, the mailboxes it is for (delivered by the caller)."""
        if reply == b"PONG":
            # The keep-alive's answer while no channel is subscribed; subscribed, Redis
            # answers ["pong", ""] instead, which falls through below.
            return b"", ()
        if not isinstance(reply, list) or len(reply) < 2:
            log.warning("unexpected reply on the subscriber connection: %r", reply)
            return b"", ()
        kind, channel = reply[0], _text(reply[1])
        if kind == b"message" and len(reply) == 3:
            # A copy: subscribers may come and go while the delivery yields.
            return reply[2], tuple(self._mailboxes.get(channel, ()))
        if kind == b"subscribe":
            self._confirm(channel)
        elif kind == b"unsubscribe":
            self._forget_if_unused(channel)
        return b"", ()

    def _confirm(self, channel: str) -> None:
        count = self._confirmations[channel] = self._confirmations.get(channel, 0) + 1
        for waiter in self._waiters.get(channel, []):
            if waiter.needs.get(channel, count + 1) <= count:
                del waiter.needs[channel]
                if not waiter.needs and not waiter.confirmed.done():
                    waiter.confirmed.set_result(None)

    def _forget_if_unused(self, channel: str) -> None:
        if channel not in self._mailboxes and self._sent.get(channel) == self._confirmations.get(
            channel
        ):
            self._sent.pop(channel, None)
            self._confirmations.pop(channel, None)

    def _lose(self, failure: StreamInterrupted) -> None:
        if self._failure is not None:
            return
        self._failure = failure
        log.warning("live event stream interrupted: %s", failure)
        for receivers in self._mailboxes.values():
            for mailbox in receivers:
                mailbox.fail(failure)
        for waiting in self._waiters.values():
            for waiter in waiting:
                if not waiter.confirmed.done():
                    waiter.confirmed.set_exception(StreamInterrupted(*failure.args))
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise StreamInterrupted(*self._failure.args)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
