"""The Subscription root of the contract: live status over websockets."""

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from strawberry.types import Info

from domain.appointments import StatusEvent
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode
from resolvers.event_cursors import decode_event_cursor
from resolvers.live_feeds import appointment_events_feed, appointment_status_feed
from resolvers.types.entities import AppointmentStatusEvent

log = logging.getLogger("appointment_api.subscriptions")


async def _as_graphql(
    context: Context, feed: AsyncGenerator[StatusEvent, None]
) -> AsyncGenerator[AppointmentStatusEvent, None]:
    # Closed explicitly, so the feed leaves its channel as soon as the client stops.
    async with aclosing(feed) as events:
        try:
            async for event in events:
                # Each event is resolved on its own: what was loaded for the last one is stale.
                context.forget_loaded()
                yield AppointmentStatusEvent.from_domain(event)
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
        context = info.context
        return _as_graphql(context, appointment_status_feed(context, appointment_id))

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
        context = info.context
        start = decode_event_cursor(after) if after is not None else None
        return _as_graphql(context, appointment_events_feed(context, psychologist_id, start))
