"""Live events rendered once per group of alike subscribers, over real websockets, Redis
pub/sub and PostgreSQL: what is shared, what is not, and who sees what."""

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from test_subscriptions import (
    ADMIN,
    APPOINTMENT_EVENTS,
    APPOINTMENT_STATUS,
    HISTORY_AFTER,
    REQUEST,
    SLOTS,
    _cancelled,
    as_,
    cancel,
    pending,
)
from test_subscriptions import connect as connect_as

from application.live_events import appointment_channel, encode_event
from graphql_client import Api, running_api
from live_client import TRANSPORT_WS, Operation
from resolvers.event_cursors import decode_event_cursor, encode_event_cursor
from resolvers.event_rendering import renderings_of
from world import node_id


def executions(api: Api) -> int:
    """How many times the app executed a shared event's selection."""
    assert api.schema is not None
    return renderings_of(api.schema).executions


@pytest.fixture
async def redis_live(database_url: str, redis_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url, listen=True, redis_url=redis_url) as api:
        yield api


# The psychologist's appointments under the event: a patient sees only their own there,
# an admin every one, so one rendering of the same event cannot serve both.
SCOPED = """
subscription Scoped($id: ID!, $n: Int) {
  appointmentStatus(appointmentId: $id) {
    status
    appointment { psychologist { appointments(first: $n) { nodes { id } } } }
  }
}"""
BARE = """
subscription Bare($id: ID!) { appointmentStatus(appointmentId: $id) { status version } }"""


def seen(data: dict[str, Any]) -> set[str]:
    appointments = data["appointmentStatus"]["appointment"]["psychologist"]["appointments"]
    return {node["id"] for node in appointments["nodes"]}


async def test_alike_subscribers_share_a_rendering_and_nobody_gets_another_viewers(
    redis_live: Api,
) -> None:
    api = redis_live
    psychologist = await api.world.psychologist()
    me, someone = await api.world.patients(2)
    [watched] = await pending(api, psychologist, me)
    [theirs] = await pending(api, psychologist, someone)

    async with (
        connect_as(api, as_(me)) as mine_first,
        connect_as(api, ADMIN) as admin_first,
        connect_as(api, as_(me)) as mine_again,
        connect_as(api, ADMIN) as admin_again,
        connect_as(api, ADMIN) as admin_other,
    ):
        # Patients and admins interleaved, so that whichever renders first, a rendering
        # shared across viewers would show up on one side or the other.
        scoped: list[tuple[str, Operation]] = []
        for who, client in (
            ("me", mine_first),
            ("admin", admin_first),
            ("me", mine_again),
            ("admin", admin_again),
        ):
            scoped.append((who, await client.subscribe(SCOPED, id=watched, n=10)))
        one = await admin_other.subscribe(SCOPED, id=watched, n=1)
        bare = await admin_other.subscribe(BARE, id=watched)
        for _, operation in [*scoped, ("admin", one), ("admin", bare)]:
            await operation.next_data()

        before = executions(api)
        await cancel(api, ADMIN, watched)

        received: dict[str, list[dict[str, Any]]] = {"me": [], "admin": []}
        for who, operation in scoped:
            data = await operation.next_data()
            assert data["appointmentStatus"]["status"] == "CANCELLED"
            received[who].append(data)
        assert all(seen(data) == {watched} for data in received["me"])
        assert all(seen(data) == {watched, theirs} for data in received["admin"])

        # The same viewer and selection with other variables: its own rendering.
        assert len(seen(await one.next_data())) == 1
        # Another selection: its own shape.
        assert (await bare.next_data())["appointmentStatus"] == {
            "status": "CANCELLED",
            "version": 2,
        }
        # Six subscribers, four groups: each alike pair was rendered for once.
        assert executions(api) - before == 4


async def test_two_apps_in_one_process_render_each_for_their_own_subscribers(
    database_url: str, redis_url: str
) -> None:
    async with (
        running_api(database_url, listen=True, redis_url=redis_url) as first,
        running_api(database_url, listen=True, redis_url=redis_url) as second,
    ):
        [watched] = await pending(
            first, await first.world.psychologist(), await first.world.patient()
        )
        async with connect_as(first, ADMIN) as here, connect_as(second, ADMIN) as there:
            operations = [
                await here.subscribe(BARE, id=watched),
                await here.subscribe(BARE, id=watched),
                await there.subscribe(BARE, id=watched),
            ]
            for operation in operations:
                await operation.next_data()
            before = executions(first), executions(second)

            await cancel(first, ADMIN, watched)
            for operation in operations:
                assert (await operation.next_data())["appointmentStatus"]["status"] == "CANCELLED"

        # Each app rendered the event once for its own alike subscribers, and counted only that.
        assert (executions(first) - before[0], executions(second) - before[1]) == (1, 1)


async def test_a_patient_without_a_patient_row_gets_an_empty_feed_until_their_first_booking(
    redis_live: Api,
) -> None:
    api = redis_live
    psychologist = await api.world.psychologist()
    someone = await api.world.patient()
    [probe] = await pending(api, psychologist, someone)
    # A change of someone else's, just before the feed's cursor: in its range, not its scope.
    await cancel(api, ADMIN, probe)
    history = await api.query(HISTORY_AFTER, id=probe)
    last = decode_event_cursor(history["data"]["appointment"]["history"][-1]["cursor"])
    newcomer = ("patient", "first-timer")

    async with connect_as(api, newcomer) as client:
        feed = await client.subscribe(APPOINTMENT_EVENTS, after=encode_event_cursor(last - 1))
        slots = await api.query(
            SLOTS,
            id=node_id(psychologist),
            **{
                "from": (api.now + timedelta(days=2)).isoformat(),
                "to": (api.now + timedelta(days=30)).isoformat(),
            },
        )
        start = slots["data"]["psychologist"]["availableSlots"][0]["startsAt"]
        answer = await api.query(
            REQUEST,
            as_=newcomer,
            input={
                "psychologistId": node_id(psychologist),
                "scheduledAt": start,
                "durationMinutes": 50,
                "patient": {"name": "First Timer", "email": "first.timer@example.com"},
            },
        )
        payload = answer["data"]["requestAppointment"]
        assert payload["userErrors"] == [], payload
        booked = payload["appointment"]["id"]

        first = (await feed.next_data())["appointmentEvents"]
        assert (first["appointmentId"], first["status"]) == (booked, "PENDING")
        decision = (await feed.next_data())["appointmentEvents"]
        assert decision["appointmentId"] == booked
        assert decision["status"] in ("CONFIRMED", "REJECTED")


@pytest.fixture
async def impatient_live(database_url: str, redis_url: str) -> AsyncIterator[Api]:
    """Writes to a websocket give up after a second: a peer that stops reading is dropped."""
    async with running_api(
        database_url, listen=True, redis_url=redis_url, ws_send_timeout_seconds=1.0
    ) as api:
        yield api


async def test_a_subscriber_that_stops_reading_is_dropped_without_holding_others_back(
    impatient_live: Api, redis_url: str
) -> None:
    api = impatient_live
    [watched] = await pending(api, await api.world.psychologist(), await api.world.patient())
    appointment, cancelled = await _cancelled(api, watched)
    token = api.token(*ADMIN)
    # A raw client with a small receive buffer: once it stops reading, the server's writes
    # back up within a few MB (an asyncio stream stops reading its socket at 64 KiB).
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = api.ws_url.removeprefix("ws://").split("/")[0].split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    stalled_in, stalled_out = await asyncio.open_connection(sock=sock)
    stalled_out.write(
        (
            f"GET /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {TRANSPORT_WS}\r\n\r\n"
        ).encode()
    )
    assert (await stalled_in.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    stalled_out.write(masked_text_frame(orjson.dumps(init)))
    assert (await read_text_frame(stalled_in))["type"] == "connection_ack"
    payload = {"query": APPOINTMENT_STATUS, "variables": {"appointmentId": watched}}
    subscribe = {"id": "1", "type": "subscribe", "payload": payload}
    stalled_out.write(masked_text_frame(orjson.dumps(subscribe)))
    assert (await read_text_frame(stalled_in))["type"] == "next"

    async with connect_as(api, ADMIN) as reader:
        following = await reader.subscribe(APPOINTMENT_STATUS, appointmentId=watched)
        assert (await following.next_data())["appointmentStatus"]["version"] == cancelled.version

        # From here on the stalled client reads nothing; the other one keeps up, batch
        # by batch, and gets every event in order.
        published, batch = 1_000, 50
        first = cancelled.version + 1
        broker = Redis.from_url(redis_url)
        try:
            for start in range(first, first + published, batch):
                for version in range(start, start + batch):
                    # Long reasons: the stalled client's buffers fill up within a few MB.
                    event = replace(cancelled, version=version, reason="x" * 8_000)
                    await broker.publish(
                        appointment_channel(appointment.id), encode_event(appointment, event)
                    )
                versions = [
                    (await following.next_data())["appointmentStatus"]["version"]
                    for _ in range(batch)
                ]
                assert versions == list(range(start, start + batch))
        finally:
            await broker.aclose()

    # Reading again, the stalled client finds what fitted in the buffers, then the end of
    # the connection, well before all it was sent.
    async with asyncio.timeout(30):
        rest = await stalled_in.read()
    stalled_out.close()
    assert len(rest) < published * 8_000


def masked_text_frame(payload: bytes) -> bytes:
    """A client's text frame (RFC 6455 5.2), under 64 KiB, masked with a zero key."""
    assert len(payload) < 65536
    length = (
        bytes([0x80 | len(payload)])
        if len(payload) < 126
        else bytes([0xFE]) + len(payload).to_bytes(2, "big")
    )
    return bytes([0x81]) + length + b"\x00\x00\x00\x00" + payload


async def read_text_frame(stream: asyncio.StreamReader) -> dict[str, Any]:
    """One unfragmented, unmasked text frame from the server, decoded."""
    head = await stream.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await stream.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await stream.readexactly(8), "big")
    message: dict[str, Any] = orjson.loads(await stream.readexactly(length))
    return message
