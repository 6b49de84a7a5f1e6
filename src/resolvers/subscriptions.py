"""The Subscription root of the contract: live status and free slots over websockets."""

import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import datetime
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from domain.appointments import AppointmentType, StatusEvent
from domain.schedule import Interval
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode
from resolvers.event_cursors import decode_event_cursor
from resolvers.event_rendering import EventRenderings, renderings_of
from resolvers.live_feeds import appointment_events_feed, appointment_status_feed
from resolvers.slot_feed import available_slots_feed
from resolvers.slots import display_zone, slot_query
from resolvers.types.calendar_types import TimeSlot
from resolvers.types.entities import AppointmentStatusEvent

T = TypeVar("T")
U = TypeVar("U")


@strawberry.type(name="AvailableSlotsUpdate")
class AvailableSlotsUpdate:
    psychologist_id: strawberry.ID
    slots: list[TimeSlot]


log = logging.getLogger("appointment_api.subscriptions")


def _as_graphql(
    context: Context, renderings: EventRenderings, feed: AsyncGenerator[StatusEvent, None]
) -> AsyncGenerator[AppointmentStatusEvent, None]:
    return _shaped(context, renderings, feed, AppointmentStatusEvent.from_domain)


async def _shaped(
    context: Context,
    renderings: EventRenderings,
    feed: AsyncGenerator[T, None],
    shape: Callable[[T], U],
) -> AsyncGenerator[U, None]:
    # Closed explicitly, so the feed leaves its channel as soon as the client stops.
    async with aclosing(feed) as events:
        try:
            async for event in events:
                # Each event is resolved on its own: what was loaded for the last one is stale.
                context.forget_loaded()
                yield renderings.shaped_once(event, shape)
        except ClientError:
            raise
        except Exception as error:
            # Raised outside any field, this would reach the client as it is: mask it.
            log.error(
                "subscription failed", exc_info=error, extra={"request_id": context.request_id}
            )
            raise ClientError(
                "Internal server error.",
                ErrorCode.INTERNAL_SERVER_ERROR,
                requestId=context.request_id,
            ) from None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="First the appointment's current state, then every change, until the "
        "client stops. Only for viewers who may read the appointment."
    )
    def appointment_status(
        self, info: Info[Context, None], appointment_id: strawberry.ID
    ) -> AsyncGenerator[AppointmentStatusEvent, None]:
        context, renderings = info.context, renderings_of(info.schema)
        feed = appointment_status_feed(context, appointment_id, renderings=renderings)
        return _as_graphql(context, renderings, feed)

    @strawberry.subscription(
        description="Every change the viewer may see: a patient's own, a psychologist's own "
        "schedule (or one psychologist's, for an admin). With after:, first replays every "
        "visible event after that cursor, in order, then goes live, with no gap and no "
        "duplicate."
    )
    def appointment_events(
        self,
        info: Info[Context, None],
        psychologist_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[AppointmentStatusEvent, None]:
        context, renderings = info.context, renderings_of(info.schema)
        start = decode_event_cursor(after) if after is not None else None
        feed = appointment_events_feed(context, psychologist_id, start, renderings=renderings)
        return _as_graphql(context, renderings, feed)

    @strawberry.subscription(
        description="A psychologist's free slots in the window: the current list first, then "
        "the new list each time it changes (a request, a decision or a cancellation on "
        "their schedule, new hours, time off or settings). For any signed-in viewer."
    )
    def available_slots(
        self,
        info: Info[Context, None],
        psychologist_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        duration_minutes: int | None = None,
        step_minutes: int | None = None,
        appointment_type: AppointmentType | None = None,
        time_zone: str | None = None,
    ) -> AsyncGenerator[AvailableSlotsUpdate, None]:
        context = info.context
        query = slot_query(
            context.services,
            from_=from_,
            to=to,
            duration_minutes=duration_minutes,
            step_minutes=step_minutes,
            appointment_type=appointment_type,
        )

        chosen = display_zone(time_zone, "UTC") if time_zone is not None else None

        def shape(update: tuple[list[Interval], str]) -> AvailableSlotsUpdate:
            slots, own_zone = update
            zone = chosen or ZoneInfo(own_zone)
            return AvailableSlotsUpdate(
                psychologist_id=psychologist_id, slots=[TimeSlot.of(s, zone) for s in slots]
            )

        feed = available_slots_feed(context, psychologist_id, query)
        return _shaped(context, renderings_of(info.schema), feed, shape)
