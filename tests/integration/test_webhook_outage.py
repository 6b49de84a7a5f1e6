"""A fault test: the receiver is down while appointments are booked and cancelled; once it
is back every delivery arrives, each appointment's in the order of its changes, none lost,
none twice."""

from collections import defaultdict
from datetime import timedelta

import orjson
from notifying import ADMIN, attempts_recorded, book, cancel, notifying_api, office_hour
from standardwebhooks.webhooks import Webhook

from graphql_client import APP_NOW
from support.webhook_receiver import WebhookReceiver
from use_cases import Clock

SESSIONS = 4


async def test_every_delivery_arrives_in_order_once_the_receiver_is_back(database_url):
    receiver = WebhookReceiver()
    clock = Clock(APP_NOW)
    try:
        async with notifying_api(database_url, clock) as api:
            made = await api.resources.notifications.webhooks.register(
                ADMIN, url=receiver.url, event_types=[], description=None
            )
            assert made.value is not None
            psychologist = await api.world.psychologist(time_zone="UTC")
            patients = await api.world.patients(SESSIONS)
            booked = [
                await book(
                    api, psychologist, patient, office_hour(api.now, 3) + timedelta(hours=number)
                )
                for number, patient in enumerate(patients)
            ]
            for appointment_id in booked[::2]:
                await cancel(api, appointment_id)
            # Down: each appointment's first delivery fails, twice; the later ones wait.
            await attempts_recorded(api, SESSIONS)
            clock.now += timedelta(seconds=20)
            await attempts_recorded(api, 2 * SESSIONS)
            assert receiver.received == []

            await receiver.start()
            clock.now += timedelta(minutes=1)
            expected = 2 * SESSIONS + len(booked[::2])
            received = await receiver.wait_for(expected, seconds=30)
            await attempts_recorded(api, 2 * SESSIONS + expected)
            log = await api.resources.notifications.webhooks.deliveries(ADMIN, limit=200)
    finally:
        await receiver.stop()

    assert len(received) == expected
    assert len({r.headers["webhook-id"] for r in received}) == expected
    assert {d.status for d in log} == {"DELIVERED"}
    versions = defaultdict(list)
    for request in received:
        body = Webhook(made.value.secret).verify(request.body, request.headers)
        versions[body["data"]["appointment"]["id"]].append(body["data"]["event"]["version"])
    assert set(versions) == set(booked)
    for appointment_id in booked:
        changes = 3 if appointment_id in booked[::2] else 2
        assert versions[appointment_id] == list(range(1, changes + 1))
    assert orjson.loads(received[0].body)["type"] == "appointment.requested"
