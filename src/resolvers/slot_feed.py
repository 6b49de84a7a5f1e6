"""The live free slots of one psychologist: the current list, then a new one each time it
changes (a request, a decision or a cancellation on their schedule, or a change of their
calendar), through the same channels, broker and checks as the status subscriptions."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

from application.free_slots import SlotQuery
from application.live_events import psychologist_channel, schedule_channel
from domain.schedule import Interval
from resolvers.context import Context, token_expired
from resolvers.errors import ClientError, ErrorCode
from resolvers.live_feeds import expiry_deadline, subscribed
from resolvers.node_ids import expect_global_id


async def available_slots_feed(
    context: Context, psychologist_id: str, query: SlotQuery
) -> AsyncGenerator[tuple[list[Interval], str], None]:
    """Each new list, with the psychologist's time zone."""
    viewer = context.require_viewer()
    deadline = expiry_deadline(viewer)
    key = expect_global_id(psychologist_id, "Psychologist", argument="psychologistId")
    services = context.services
    channels = [psychologist_channel(key), schedule_channel(key)]
    # Listening before reading: a change committed after the read is heard.
    async with subscribed(services.event_stream, channels) as messages:
        known = await services.people.psychologists_by_ids([key])
        if key not in known:
            raise ClientError("No psychologist with this ID.", ErrorCode.BAD_USER_INPUT)
        zone = known[key].time_zone
        last = (await services.free_slots([key], query)).get(key, [])
        yield last, zone
        async for _ in _nudges(messages, deadline):
            slots = (await services.free_slots([key], query)).get(key, [])
            if slots != last:
                last = slots
                yield slots, zone


async def _nudges(messages: AsyncIterator[bytes], deadline: float | None) -> AsyncIterator[None]:
    """One for each message on the channels, until the viewer's token expires: what the
    message says does not matter, the slots are read again."""
    while True:
        if deadline is None:
            await anext(messages)
        else:
            try:
                async with asyncio.timeout_at(deadline):
                    await anext(messages)
            except TimeoutError:
                raise token_expired() from None
        yield None
