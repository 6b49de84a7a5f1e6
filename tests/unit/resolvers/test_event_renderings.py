"""What a schema remembers of live events is its own: two schemas, hence two apps, share
nothing, and each remembers a bounded number of events."""

from collections.abc import Callable
from uuid import uuid4

import pytest
import strawberry

from application.live_events import encode_event
from builders import an_appointment, first_event
from domain.appointments import StatusEvent
from resolvers.event_rendering import EventRenderings, renderings_of
from resolvers.schema import build_schema


def a_message() -> bytes:
    appointment = an_appointment(uuid4(), uuid4())
    return encode_event(appointment, first_event(appointment))


def shaped_anew() -> Callable[[StatusEvent], object]:
    return lambda event: object()


def test_each_schema_is_built_with_renderings_of_its_own() -> None:
    assert renderings_of(build_schema()) is not renderings_of(build_schema())
    assert renderings_of(build_schema(compiled=False)) is not renderings_of(
        build_schema(compiled=False)
    )


def test_a_message_decoded_and_shaped_by_one_schema_is_unknown_to_another() -> None:
    mine, theirs = renderings_of(build_schema()), renderings_of(build_schema())
    message = a_message()
    shape = shaped_anew()

    published = mine.published(message)
    payload = mine.shaped_once(published.event, shape)
    assert mine.published(message) is published
    assert mine.shaped_once(published.event, shape) is payload
    assert mine.is_shared(payload)

    # The other schema decodes the same message anew and, not having shared that event
    # object, shapes it for each subscriber.
    assert theirs.published(message) is not published
    assert theirs.shaped_once(published.event, shape) is not payload
    assert not theirs.is_shared(payload)


def test_an_event_read_for_one_subscriber_is_shaped_for_each() -> None:
    renderings = EventRenderings()
    event = first_event(an_appointment(uuid4(), uuid4()))
    shape = shaped_anew()
    assert renderings.shaped_once(event, shape) is not renderings.shaped_once(event, shape)


def test_the_oldest_messages_are_forgotten_past_the_bound() -> None:
    renderings = EventRenderings(decoded_kept=2)
    oldest, *newer = [a_message() for _ in range(3)]
    first = renderings.published(oldest)
    kept = [renderings.published(message) for message in newer]

    again = [renderings.published(message) for message in newer]
    assert all(found is known for found, known in zip(again, kept, strict=True))
    assert renderings.published(oldest) is not first


def test_a_schema_whose_executor_does_not_share_has_no_renderings() -> None:
    @strawberry.type
    class Query:
        ready: bool = True

    with pytest.raises(TypeError):
        renderings_of(strawberry.Schema(query=Query))
