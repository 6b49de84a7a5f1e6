"""Live events rendered once per group of alike subscribers, over real websockets, Redis
pub/sub and PostgreSQL: what is shared, what is not, and who sees what."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from test_subscriptions import (
    ADMIN,
    APPOINTMENT_EVENTS,
    HISTORY_AFTER,
    REQUEST,
    SLOTS,
    as_,
    cancel,
    connect,
    pending,
)

from graphql_client import Api, running_api
from live_client import Operation
from resolvers.event_cursors import decode_event_cursor, encode_event_cursor
from resolvers.event_rendering import executions
from world import node_id


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
        connect(api, as_(me)) as mine_first,
        connect(api, ADMIN) as admin_first,
        connect(api, as_(me)) as mine_again,
        connect(api, ADMIN) as admin_again,
        connect(api, ADMIN) as admin_other,
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

        before = executions()
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
        assert executions() - before == 4


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

    async with connect(api, newcomer) as client:
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
