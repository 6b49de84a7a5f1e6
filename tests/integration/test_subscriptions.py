"""Subscriptions over real websockets against the app in process, on PostgreSQL, with the
in-process event stream and with Redis; the worker runs in process on the in-process queue."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from application.live_events import EVERY_EVENT_CHANNEL, appointment_channel, encode_event
from appointment_api.bootstrap import build_services
from domain.appointments import Appointment, StatusEvent
from domain.people import Patient, Psychologist
from domain.viewer import Role, Viewer
from graphql_client import Api, running_api
from infra.pubsub.memory_pubsub import InMemoryEventStream
from live_client import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, LiveClient, Operation, live_client
from resolvers.context import Context
from resolvers.errors import ClientError
from resolvers.event_cursors import decode_event_cursor, encode_event_cursor
from resolvers.event_rendering import EventRenderings
from resolvers.live_feeds import appointment_events_feed, appointment_status_feed
from resolvers.node_ids import expect_global_id
from support.services import RedisServer
from world import hours_from, node_id

OPERATIONS = Path(__file__).parents[2] / "schema" / "subscriptions"
APPOINTMENT_STATUS = (OPERATIONS / "appointment_status.graphql").read_text()
APPOINTMENT_EVENTS = (OPERATIONS / "appointment_events.graphql").read_text()

ADMIN = ("admin", "admin-1")

REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id status } userErrors { code message } }
}"""
CANCEL = """
mutation($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status version } userErrors { code } }
}"""
SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) { startsAt }
  }
}"""
HISTORY_AFTER = """
query($id: ID!) { appointment(id: $id) { history { version status cursor } } }"""


@pytest.fixture(params=["memory", "redis"])
async def live(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Api]:
    """The app serving websockets, its events through the in-process stream or Redis."""
    overrides = (
        {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    )
    async with running_api(database_url, listen=True, **overrides) as api:
        yield api


@pytest.fixture
async def redis_live(database_url: str, redis_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url, listen=True, redis_url=redis_url) as api:
        yield api


def connect(api: Api, who: tuple[str, str], protocol: str = TRANSPORT_WS) -> Any:
    return live_client(api.ws_url, protocol=protocol, token=api.token(*who))


def as_(person: Patient | Psychologist) -> tuple[str, str]:
    """The viewer (role, subject) a token for `person` names."""
    assert person.subject is not None
    return ("patient" if isinstance(person, Patient) else "psychologist", person.subject)


async def pending(
    api: Api, psychologist: Psychologist, patient: Patient, count: int = 1
) -> list[str]:
    """IDs of `count` PENDING appointments a week ahead, never queued: they stay PENDING."""
    starts = [hours_from(api.now, 7 * 24 + hours) for hours in range(count)]
    return [node_id(a) for a in await api.world.appointments(psychologist, patient, starts)]


async def cancel(api: Api, who: tuple[str, str], appointment_id: str) -> dict[str, Any]:
    body = await api.query(CANCEL, as_=who, input={"appointmentId": appointment_id})
    payload: dict[str, Any] = body["data"]["cancelAppointment"]
    assert payload["userErrors"] == [], payload
    return payload


async def request_appointments(
    api: Api, psychologist: Psychologist, count: int, patients: Sequence[Patient]
) -> list[str]:
    """Book ``count`` free slots with the psychologist, the patients taking turns; their IDs."""
    body = await api.query(
        SLOTS,
        id=node_id(psychologist),
        **{
            "from": (api.now + timedelta(days=2)).isoformat(),
            "to": (api.now + timedelta(days=30)).isoformat(),
        },
    )
    starts = [slot["startsAt"] for slot in body["data"]["psychologist"]["availableSlots"]]
    assert len(starts) >= count
    ids = []
    booking = itertools.cycle(patients)
    for start in starts[:count]:
        item = {
            "psychologistId": node_id(psychologist),
            "scheduledAt": start,
            "durationMinutes": 50,
        }
        answer = await api.query(REQUEST, as_=as_(next(booking)), input=item)
        payload = answer["data"]["requestAppointment"]
        assert payload["userErrors"] == [], payload
        ids.append(payload["appointment"]["id"])
    return ids


async def decided(api: Api, appointment_ids: list[str]) -> None:
    for appointment_id in appointment_ids:
        assert await api.wait_for_status(appointment_id, "CONFIRMED") in ("CONFIRMED", "REJECTED")


async def events(operation: Operation, count: int) -> list[dict[str, Any]]:
    return [(await operation.next_data())["appointmentEvents"] for _ in range(count)]


# --- appointmentStatus -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_appointment_status_sends_the_current_state_then_every_change(
    live: Api, protocol: str
) -> None:
    patient = await live.world.patient()
    [watched] = await pending(live, await live.world.psychologist(), patient)
    async with connect(live, as_(patient), protocol) as client:
        watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        first = (await watching.next_data())["appointmentStatus"]
        assert (first["appointmentId"], first["status"], first["version"]) == (
            watched,
            "PENDING",
            1,
        )
        assert first["appointment"]["status"] == "PENDING"

        await cancel(live, as_(patient), watched)
        change = (await watching.next_data())["appointmentStatus"]
        assert change["status"] == "CANCELLED"
        assert change["previousStatus"] == "PENDING"
        assert change["version"] == 2
        assert change["cursor"] != first["cursor"]
        # Loaded again for this event, not remembered from the first one.
        assert change["appointment"]["status"] == "CANCELLED"

        history = await live.query(HISTORY_AFTER, as_=as_(patient), id=watched)
        assert [e["cursor"] for e in history["data"]["appointment"]["history"]][-2:] == [
            first["cursor"],
            change["cursor"],
        ]


async def test_another_patient_is_refused_and_their_connection_keeps_working(live: Api) -> None:
    psychologist = await live.world.psychologist()
    someone, me = await live.world.patients(2)
    [theirs] = await pending(live, psychologist, someone)
    [mine] = await pending(live, psychologist, me)
    async with connect(live, as_(me)) as client:
        refused = await client.subscribe(APPOINTMENT_STATUS, appointmentId=theirs)
        assert await refused.error_codes() == ["FORBIDDEN"]
        assert (await refused.receive())[0] == "complete"

        allowed = await client.subscribe(APPOINTMENT_STATUS, appointmentId=mine)
        assert (await allowed.next_data())["appointmentStatus"]["appointmentId"] == mine


async def test_a_malformed_appointment_id_is_bad_user_input(live: Api) -> None:
    async with connect(live, as_(await live.world.patient())) as client:
        operation = await client.subscribe(APPOINTMENT_STATUS, appointmentId="not-an-id")
        assert await operation.error_codes() == ["BAD_USER_INPUT"]


# --- appointmentEvents -----------------------------------------------------------------------


async def live_events(api: Api, client: LiveClient, probe: str, **variables: Any) -> Operation:
    """appointmentEvents, known to be listening once this returns.

    The feed sends nothing until something happens, so ``probe`` (a PENDING appointment
    the feed will see) is cancelled first, and the feed asks for the history from just
    before that change: the change comes first, once the feed listens.
    """
    await cancel(api, ADMIN, probe)
    history = await api.query(HISTORY_AFTER, id=probe)
    last = decode_event_cursor(history["data"]["appointment"]["history"][-1]["cursor"])
    feed = await client.subscribe(
        APPOINTMENT_EVENTS, after=encode_event_cursor(last - 1), **variables
    )
    [first] = await events(feed, 1)
    assert (first["appointmentId"], first["status"]) == (probe, "CANCELLED")
    return feed


async def test_a_request_reaches_its_psychologist_and_admins_but_not_other_schedules(
    live: Api,
) -> None:
    mine, other, third = await live.world.psychologists(3)
    regular, stranger_is, *booking = await live.world.patients(4)
    own_probe, own_later = await pending(live, third, stranger_is, 2)
    [probe_of_mine] = await pending(live, mine, regular)
    probe_of_other, of_other = await pending(live, other, regular, 2)
    [probe_of_third] = await pending(live, third, regular)
    async with (
        connect(live, as_(mine)) as doctor,
        connect(live, ADMIN) as admin,
        connect(live, as_(stranger_is)) as stranger,
    ):
        # Each probe is outside the scope of the feeds opened before it.
        not_theirs = await live_events(live, stranger, own_probe)
        schedule = await live_events(live, doctor, probe_of_mine)
        elsewhere = await live_events(live, admin, probe_of_other, psychologistId=node_id(other))
        everything = await live_events(live, admin, probe_of_third)

        [requested] = await request_appointments(live, mine, 1, booking)
        for feed in (schedule, everything):
            stored, decision = await events(feed, 2)
            assert (stored["appointmentId"], stored["status"]) == (requested, "PENDING")
            assert (stored["previousStatus"], stored["version"]) == (None, 1)
            assert decision["appointmentId"] == requested
            assert (decision["previousStatus"], decision["version"]) == ("PENDING", 2)

        # Nothing of the first psychologist's arrived on the others: their next event is
        # the one that follows, on their own side.
        await cancel(live, ADMIN, of_other)
        [first_elsewhere] = await events(elsewhere, 1)
        assert first_elsewhere["appointmentId"] == of_other

        await cancel(live, as_(stranger_is), own_later)
        [first_own] = await events(not_theirs, 1)
        assert first_own["appointmentId"] == own_later


async def test_a_psychologist_may_not_follow_another_schedule(live: Api) -> None:
    mine, other = await live.world.psychologists(2)
    async with connect(live, as_(mine)) as client:
        refused = await client.subscribe(APPOINTMENT_EVENTS, psychologistId=node_id(other))
        assert await refused.error_codes() == ["FORBIDDEN"]


async def test_resuming_after_a_cursor_replays_exactly_the_missed_changes_then_goes_live(
    live: Api,
) -> None:
    mine = await live.world.psychologist()
    patients = await live.world.patients(3)
    probe, before, later = await pending(live, mine, patients[0], 3)
    async with connect(live, as_(mine)) as client:
        feed = await live_events(live, client, probe)
        await cancel(live, as_(mine), before)
        [seen] = await events(feed, 1)
        assert seen["appointmentId"] == before
    last_cursor = seen["cursor"]

    missed = await request_appointments(live, mine, 10, patients)  # 10 PENDING ...
    await decided(live, missed)  # ... and 10 decisions, while disconnected

    async with connect(live, as_(mine)) as client:
        resumed = await client.subscribe(APPOINTMENT_EVENTS, after=last_cursor)
        replayed = await events(resumed, 20)
        keys = [(event["appointmentId"], event["version"]) for event in replayed]
        assert sorted(keys) == sorted((a, v) for a in missed for v in (1, 2))
        cursors = [_sequence_of(event["cursor"]) for event in replayed]
        assert cursors == sorted(cursors)
        assert cursors[0] > _sequence_of(last_cursor)

        await cancel(live, as_(mine), later)
        [live_one] = await events(resumed, 1)
        assert (live_one["appointmentId"], live_one["status"]) == (later, "CANCELLED")


def _sequence_of(cursor: str) -> int:
    return decode_event_cursor(cursor)


async def test_a_bad_cursor_is_bad_user_input(live: Api) -> None:
    async with connect(live, ADMIN) as client:
        refused = await client.subscribe(APPOINTMENT_EVENTS, after="not-a-cursor")
        assert await refused.error_codes() == ["BAD_USER_INPUT"]


# --- the connection ----------------------------------------------------------------------


async def test_graphql_transport_ws_refuses_a_connection_without_a_valid_token(live: Api) -> None:
    for payload in ({}, {"Authorization": "Bearer not-a-token"}):
        async with live_client(live.ws_url, protocol=TRANSPORT_WS) as client:
            await client.send({"type": "connection_init", "payload": payload})
            closed = await client.wait_closed()
            assert closed.code == 4403


async def test_graphql_ws_refuses_a_connection_without_a_valid_token(live: Api) -> None:
    async with live_client(live.ws_url, protocol=LEGACY_WS) as client:
        answer = await client.init(None, Authorization="Bearer not-a-token")
        assert answer["type"] == "connection_error"
        assert answer["payload"]["code"] == "UNAUTHENTICATED"
        # Strawberry's legacy protocol handler closes a refused connection with 1011.
        assert (await client.wait_closed()).code == 1011


async def test_a_token_expiring_ends_its_subscriptions_with_unauthenticated(live: Api) -> None:
    patient = await live.world.patient()
    [watched] = await pending(live, await live.world.psychologist(), patient)
    token = live.token(*as_(patient), ttl=timedelta(seconds=2))
    async with live_client(live.ws_url, token=token) as client:
        watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        assert (await watching.next_data())["appointmentStatus"]["status"] == "PENDING"
        assert await watching.error_codes(within=10) == ["UNAUTHENTICATED"]

        again = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        assert await again.error_codes() == ["UNAUTHENTICATED"]


async def test_websockets_from_an_origin_outside_the_allow_list_are_refused(
    database_url: str,
) -> None:
    allowed = "http://app.example"
    async with running_api(database_url, listen=True, cors_origins=[allowed]) as api:
        with pytest.raises(InvalidStatus) as refused:
            async with live_client(api.ws_url, origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403

        patient = await api.world.patient()
        [watched] = await pending(api, await api.world.psychologist(), patient)
        token = api.token(*as_(patient))
        async with live_client(api.ws_url, origin=allowed, token=token) as client:
            watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
            assert (await watching.next_data())["appointmentStatus"]["status"] == "PENDING"


async def test_stopping_the_server_closes_websockets_with_service_restart(
    database_url: str,
) -> None:
    async with running_api(database_url, listen=True) as api:
        patient = await api.world.patient()
        [watched] = await pending(api, await api.world.psychologist(), patient)
        async with connect(api, as_(patient)) as client:
            watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
            await watching.next_data()
            assert api.server is not None
            stopping = asyncio.create_task(api.server.stop())
            assert (await client.wait_closed()).code == 1012
            await stopping


# --- Redis down ------------------------------------------------------------------------------


async def test_while_redis_is_down_subscriptions_end_clearly_and_the_rest_works(
    redis_live: Api, redis_server: RedisServer
) -> None:
    patient = await redis_live.world.patient()
    watched, cancelled_meanwhile = await pending(
        redis_live, await redis_live.world.psychologist(), patient, 2
    )
    async with connect(redis_live, as_(patient)) as client:
        watching = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        await watching.next_data()
        with redis_server.stopped():
            assert await watching.error_codes() == ["LIVE_UPDATES_INTERRUPTED"]
            refused = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
            assert await refused.error_codes() == ["LIVE_UPDATES_INTERRUPTED"]
            # Reads and writes do not need Redis.
            done = await cancel(redis_live, as_(patient), cancelled_meanwhile)
            assert done["appointment"]["status"] == "CANCELLED"

        # Back: a new subscription starts from the truth, then follows live.
        missed = await client.subscribe(APPOINTMENT_STATUS, appointmentId=cancelled_meanwhile)
        assert (await missed.next_data())["appointmentStatus"]["status"] == "CANCELLED"
        again = await client.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        assert (await again.next_data())["appointmentStatus"]["status"] == "PENDING"
        await cancel(redis_live, as_(patient), watched)
        assert (await again.next_data())["appointmentStatus"]["status"] == "CANCELLED"


# --- a subscriber that falls behind ----------------------------------------------------------


class _Announcing:
    """The in-process stream, telling when a subscription is in place."""

    def __init__(self, stream: InMemoryEventStream) -> None:
        self.stream = stream
        self.subscribed = asyncio.Event()

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[bytes]]:
        async with self.stream.subscribe(channels) as messages:
            self.subscribed.set()
            yield messages

    async def publish(self, channel: str, message: bytes) -> int:
        return await self.stream.publish(channel, message)

    async def publish_many(self, channels: Sequence[str], message: bytes) -> None:
        await self.stream.publish_many(channels, message)


async def test_a_subscriber_that_falls_behind_gets_what_fitted_then_is_told_to_resume(
    api: Api,
) -> None:
    stream = _Announcing(InMemoryEventStream(buffer=2))
    services = replace(build_services(api.resources), event_stream=stream)
    context = Context(None, None, services, viewer=Viewer("admin-1", Role.ADMIN))
    appointments = await pending(api, await api.world.psychologist(), await api.world.patient(), 4)
    changes = [await _cancelled(api, appointment) for appointment in appointments]

    feed = appointment_events_feed(context, None, None, renderings=EventRenderings())
    first = asyncio.create_task(anext(feed))
    async with asyncio.timeout(10):
        await stream.subscribed.wait()
    # Straight onto the admin's channel: in process, nothing yields between these, so the
    # subscriber cannot read any of them before they are all waiting.
    for appointment, event in changes:
        await stream.publish(EVERY_EVENT_CHANNEL, encode_event(appointment, event))

    assert (await first).appointment_id == changes[0][1].appointment_id
    assert (await anext(feed)).appointment_id == changes[1][1].appointment_id
    with pytest.raises(ClientError) as ended:
        await anext(feed)
    assert ended.value.extensions == {"code": "SUBSCRIBER_TOO_SLOW"}
    await feed.aclose()


async def _cancelled(api: Api, appointment_id: str) -> tuple[Appointment, StatusEvent]:
    await cancel(api, ADMIN, appointment_id)
    key = expect_global_id(appointment_id, "Appointment", argument="id")
    admin = Viewer("admin-1", Role.ADMIN)
    found = await build_services(api.resources).appointments.by_ids(admin, [key])
    history = await build_services(api.resources).appointments.histories([key])
    return found[key], history[key][-1]


async def test_a_subscription_over_plain_http_is_refused_with_a_clear_error(api: Api) -> None:
    body = await api.query(APPOINTMENT_EVENTS)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "websocket" in error["message"]


async def test_appointment_status_sends_no_version_twice_nor_an_older_one(api: Api) -> None:
    stream = _Announcing(InMemoryEventStream())
    services = replace(build_services(api.resources), event_stream=stream)
    context = Context(None, None, services, viewer=Viewer("admin-1", Role.ADMIN))
    [watched] = await pending(api, await api.world.psychologist(), await api.world.patient())
    first_state = await _current(api, watched)
    appointment, cancelled = await _cancelled(api, watched)
    channel = appointment_channel(appointment.id)

    feed = appointment_status_feed(context, watched, renderings=EventRenderings())
    first = asyncio.create_task(anext(feed))
    async with asyncio.timeout(10):
        await stream.subscribed.wait()
    # The state read already holds the cancellation: the same version arrives live too,
    # then an older one (a slow publisher); neither is sent again.
    for event in (cancelled, first_state, cancelled):
        await stream.publish(channel, encode_event(appointment, event))
    newer = replace(cancelled, version=cancelled.version + 1, sequence=None)
    await stream.publish(channel, encode_event(appointment, newer))

    assert (await first).version == cancelled.version
    async with asyncio.timeout(10):
        assert (await anext(feed)).version == newer.version
    await feed.aclose()


async def _current(api: Api, appointment_id: str) -> StatusEvent:
    key = expect_global_id(appointment_id, "Appointment", argument="id")
    history = await build_services(api.resources).appointments.histories([key])
    return history[key][-1]
