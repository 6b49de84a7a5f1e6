"""The feeds behind the subscriptions: no missed status, and none counted twice.

Each feed subscribes to its channel and waits for the broker's confirmation
before it reads the database (the current state, or a replay after a cursor).
A change committed after that read is therefore published to a subscription
that already listens; a change the read already returned may also arrive live,
and is dropped because its version is not newer than the one sent.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

from application.event_stream import EventStream, StreamInterrupted, SubscriberTooSlow
from application.live_events import (
    EVERY_EVENT_CHANNEL,
    PublishedEvent,
    UnreadableEvent,
    appointment_channel,
    patient_channel,
    psychologist_channel,
)
from domain.appointments import StatusEvent
from domain.viewer import Role, Viewer
from resolvers.context import Context, token_expired
from resolvers.errors import ClientError, ErrorCode
from resolvers.event_rendering import EventRenderings
from resolvers.node_ids import expect_global_id

log = logging.getLogger("appointment_api.subscriptions")

REPLAY_PAGE = 200
# How many appointments a feed remembers the newest version of (least recently seen go).
REMEMBERED_APPOINTMENTS = 10_000


def live_updates_interrupted() -> ClientError:
    return ClientError(
        "Live updates were interrupted. Subscribe again: appointmentStatus starts from the "
        "current state, appointmentEvents catches up when given your last cursor as after.",
        ErrorCode.LIVE_UPDATES_INTERRUPTED,
    )


def subscriber_too_slow() -> ClientError:
    return ClientError(
        "This subscription fell too far behind the live updates and was ended. Subscribe "
        "again, with your last cursor as appointmentEvents(after:) to catch up.",
        ErrorCode.SUBSCRIBER_TOO_SLOW,
    )


def not_readable() -> ClientError:
    return ClientError("No appointment with this ID that you may read.", ErrorCode.FORBIDDEN)


class NewerOnly:
    """Remembers the newest version sent per appointment; admits only newer events."""

    def __init__(self, capacity: int = REMEMBERED_APPOINTMENTS) -> None:
        self._capacity = capacity
        self._newest: OrderedDict[UUID, int] = OrderedDict()

    def admit(self, event: StatusEvent) -> bool:
        newest = self._newest.get(event.appointment_id)
        if newest is not None and event.version <= newest:
            return False
        self._newest[event.appointment_id] = event.version
        self._newest.move_to_end(event.appointment_id)
        if len(self._newest) > self._capacity:
            self._newest.popitem(last=False)
        return True


async def appointment_status_feed(
    context: Context, appointment_id: str, *, renderings: EventRenderings
) -> AsyncGenerator[StatusEvent, None]:
    """The appointment's newest event, then each newer one as it is published."""
    viewer = context.require_viewer()
    deadline = expiry_deadline(viewer)
    key = expect_global_id(appointment_id, "Appointment", argument="appointmentId")
    services = context.services
    async with subscribed(services.event_stream, [appointment_channel(key)]) as messages:
        current = await services.event_history.latest(viewer, key)
        if current is None:
            raise not_readable()
        # One appointment's channel: its newest version is all there is to remember.
        newest = current.version
        yield current
        async for published in _live(messages, deadline, renderings):
            if published.event.version > newest:
                newest = published.event.version
                yield published.event


async def appointment_events_feed(
    context: Context,
    psychologist_id: str | None,
    after: int | None,
    *,
    renderings: EventRenderings,
) -> AsyncGenerator[StatusEvent, None]:
    """Every visible event after the cursor from the history, then each new one live."""
    viewer = context.require_viewer()
    deadline = expiry_deadline(viewer)
    wanted = (
        expect_global_id(psychologist_id, "Psychologist", argument="psychologistId")
        if psychologist_id is not None
        else None
    )
    channel, admits = await _scope(context, viewer, wanted)
    services = context.services
    async with subscribed(services.event_stream, [channel]) as messages:
        if isinstance(admits, _NewPatientAdmits):
            # Booked between the first look and the subscription: the row exists now.
            await admits.find()
        newer = NewerOnly()
        sequence = after
        while sequence is not None:
            page = await services.event_history.after(
                viewer, sequence, psychologist_id=wanted, limit=REPLAY_PAGE
            )
            for event in page:
                newer.admit(event)
                yield event
            sequence = page[-1].sequence if len(page) == REPLAY_PAGE else None
        async for published in _live(messages, deadline, renderings):
            if await admits(published) and newer.admit(published.event):
                yield published.event


class _Admits:
    """Which published events of the channel the viewer asked for."""

    def __init__(self, psychologist_id: UUID | None = None) -> None:
        self._psychologist_id = psychologist_id

    async def __call__(self, published: PublishedEvent) -> bool:
        return self._psychologist_id in (None, published.psychologist_id)


class _NewPatientAdmits(_Admits):
    """A patient signed in before their first booking: no patient row, so no patient channel.

    They listen on the channel of every event and are shown only events of their own
    patient row, looked up again when an event was made by them (their first booking
    creates the row). Nothing is shown before the row is found, so nothing of another
    patient's can be: the row's id is the only key admitted.
    """

    def __init__(self, context: Context, subject: str, psychologist_id: UUID | None) -> None:
        super().__init__(psychologist_id)
        self._context = context
        self._subject = subject
        self._patient_id: UUID | None = None

    async def find(self) -> None:
        patient = await self._context.services.people.patient_by_subject(self._subject)
        if patient is not None:
            self._patient_id = patient.id

    async def __call__(self, published: PublishedEvent) -> bool:
        if self._patient_id is None:
            actor = published.event.actor
            if actor is None or actor.subject != self._subject:
                return False
            await self.find()
        return published.patient_id == self._patient_id and await super().__call__(published)


async def _scope(context: Context, viewer: Viewer, wanted: UUID | None) -> tuple[str, _Admits]:
    people = context.services.people
    if viewer.role is Role.ADMIN:
        if wanted is None:
            return EVERY_EVENT_CHANNEL, _Admits()
        return psychologist_channel(wanted), _Admits()
    if viewer.role is Role.PSYCHOLOGIST:
        psychologist = await people.psychologist_by_subject(viewer.subject)
        if psychologist is None or wanted not in (None, psychologist.id):
            raise ClientError(
                "A psychologist may follow only their own schedule.", ErrorCode.FORBIDDEN
            )
        return psychologist_channel(psychologist.id), _Admits()
    patient = await people.patient_by_subject(viewer.subject)
    if patient is None:
        return EVERY_EVENT_CHANNEL, _NewPatientAdmits(context, viewer.subject, wanted)
    return patient_channel(patient.id), _Admits(wanted)


@asynccontextmanager
async def subscribed(
    stream: EventStream, channels: Sequence[str]
) -> AsyncIterator[AsyncIterator[bytes]]:
    """The port's subscription, with its failures told to the client in its own terms."""
    try:
        async with stream.subscribe(channels) as messages:
            yield messages
    except StreamInterrupted as error:
        log.warning("subscription ended: %s", error)
        raise live_updates_interrupted() from None
    except SubscriberTooSlow as error:
        log.warning("subscription ended: %s", error)
        raise subscriber_too_slow() from None


async def _live(
    messages: AsyncIterator[bytes], deadline: float | None, renderings: EventRenderings
) -> AsyncIterator[PublishedEvent]:
    """Published events until the viewer's token expires."""
    while True:
        if deadline is None:
            message = await anext(messages)
        else:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await anext(messages)
            except TimeoutError:
                raise token_expired() from None
        try:
            published = renderings.published(message)
        except UnreadableEvent as error:
            log.error("dropped a message from the event stream: %s", error)
            continue
        yield published


def expiry_deadline(viewer: Viewer) -> float | None:
    """The event loop's time at which the viewer's token expires."""
    if viewer.expires_at is None:
        return None
    remaining = (viewer.expires_at - datetime.now(UTC)).total_seconds()
    if remaining <= 0:
        raise token_expired()
    return asyncio.get_running_loop().time() + remaining
