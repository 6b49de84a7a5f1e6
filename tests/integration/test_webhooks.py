"""Webhooks end to end on PostgreSQL: the app's worker hands each change to a real HTTP
receiver, signed per Standard Webhooks (verified by the standardwebhooks package), retried
after failures with the app's clock moved on, in order per appointment."""

from datetime import timedelta

import orjson
import pytest
from notifying import (
    ADMIN,
    attempts_recorded,
    book,
    cancel,
    embedded_database,
    notifying_api,
    office_hour,
)
from standardwebhooks.webhooks import Webhook

from domain.webhook_retries import LONGEST_DELAY, MAX_ATTEMPTS
from graphql_client import APP_NOW
from support.webhook_receiver import WebhookReceiver
from use_cases import Clock


@pytest.fixture
async def receiver():
    server = WebhookReceiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["postgresql", "sqlite"])
async def any_database_url(request, tmp_path):
    """PostgreSQL, and SQLite as the embedded mode runs it."""
    if request.param == "postgresql":
        return request.getfixturevalue("database_url")
    return await embedded_database(tmp_path)


async def register(api, url, event_types=()):
    answer = await api.resources.notifications.webhooks.register(
        ADMIN, url=url, event_types=list(event_types), description="CRM"
    )
    assert answer.value is not None, answer.problems
    return answer.value


async def test_every_change_reaches_the_endpoint_signed_as_the_standard_says(
    any_database_url, receiver
):
    async with notifying_api(any_database_url) as api:
        made = await register(api, receiver.url)
        psychologist = await api.world.psychologist(time_zone="UTC")
        patient = await api.world.patient()
        appointment_id = await book(api, psychologist, patient, office_hour(api.now, 3))
        await cancel(api, appointment_id)
        received = await receiver.wait_for(3)

    verifier = Webhook(made.secret)
    bodies = [verifier.verify(r.body, r.headers) for r in received]
    assert [b["type"] for b in bodies] == [
        "appointment.requested",
        "appointment.confirmed",
        "appointment.cancelled",
    ]
    confirmed = bodies[1]["data"]
    assert confirmed["appointment"]["id"] == appointment_id
    assert confirmed["appointment"]["patient"]["email"] == patient.email
    assert confirmed["appointment"]["psychologist"]["name"] == psychologist.name
    assert confirmed["event"] == {
        "version": 2,
        "status": "CONFIRMED",
        "previousStatus": "PENDING",
        "reason": None,
        "occurredAt": APP_NOW.isoformat(),
        "requestId": confirmed["event"]["requestId"],
        "kind": "STATUS_CHANGED",
        "previousScheduledAt": None,
        "scheduledAt": None,
    }
    assert bodies[2]["data"]["appointment"]["cancellationReason"] == "Feeling better"
    assert all(r.headers["webhook-id"].startswith("msg_") for r in received)
    assert len({r.headers["webhook-id"] for r in received}) == 3


async def test_an_endpoint_gets_only_the_event_types_it_chose(database_url, receiver):
    async with notifying_api(database_url) as api:
        await register(api, receiver.url, ["appointment.cancelled"])
        psychologist = await api.world.psychologist(time_zone="UTC")
        appointment_id = await book(
            api, psychologist, await api.world.patient(), office_hour(api.now, 3)
        )
        await cancel(api, appointment_id)
        [only] = await receiver.wait_for(1)
        log = await api.resources.notifications.webhooks.deliveries(ADMIN)
    assert orjson.loads(only.body)["type"] == "appointment.cancelled"
    assert [d.event_type for d in log] == ["appointment.cancelled"]


async def test_a_failed_delivery_is_tried_again_with_the_same_id_until_it_arrives(
    database_url, receiver
):
    answers = iter([500, 503])
    receiver.answer = lambda _: next(answers, 200)
    clock = Clock(APP_NOW)
    async with notifying_api(database_url, clock) as api:
        made = await register(api, receiver.url, ["appointment.confirmed"])
        psychologist = await api.world.psychologist(time_zone="UTC")
        await book(api, psychologist, await api.world.patient(), office_hour(api.now, 3))
        await attempts_recorded(api, 1)
        clock.now += timedelta(seconds=20)
        await attempts_recorded(api, 2)
        clock.now += timedelta(seconds=60)
        received = await receiver.wait_for(3)
        await attempts_recorded(api, 3)
        [delivery] = await api.resources.notifications.webhooks.deliveries(ADMIN)
    assert len({r.headers["webhook-id"] for r in received}) == 1
    for request in received:
        Webhook(made.secret).verify(request.body, request.headers)
    assert delivery.status == "DELIVERED"
    assert delivery.attempts == 3
    assert delivery.response_status == 200


async def test_an_endpoint_failing_for_a_day_is_disabled_and_an_admin_enables_it_again(
    database_url, receiver
):
    receiver.answer = lambda _: 500
    clock = Clock(APP_NOW)
    webhooks = None
    async with notifying_api(database_url, clock) as api:
        webhooks = api.resources.notifications.webhooks
        made = await register(api, receiver.url, ["appointment.confirmed"])
        psychologist = await api.world.psychologist(time_zone="UTC")
        await book(api, psychologist, await api.world.patient(), office_hour(api.now, 3))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await attempts_recorded(api, attempt)
            clock.now += LONGEST_DELAY * 1.3
        received = await receiver.wait_for(MAX_ATTEMPTS)
        [endpoint] = await webhooks.endpoints(ADMIN)
        [failed] = await webhooks.deliveries(ADMIN)
        assert not endpoint.enabled
        assert "failed" in (endpoint.disabled_reason or "")
        assert failed.status == "FAILED"
        assert failed.attempts == MAX_ATTEMPTS

        receiver.answer = lambda _: 200
        assert (await webhooks.set_enabled(ADMIN, made.endpoint.id, True)).value is not None
        again = await webhooks.redeliver(ADMIN, failed.id)
        assert again.value is not None
        received = await receiver.wait_for(MAX_ATTEMPTS + 1)
    assert received[-1].headers["webhook-id"] == received[0].headers["webhook-id"]


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(database_url, receiver):
    clock = Clock(APP_NOW)
    async with notifying_api(database_url, clock) as api:
        webhooks = api.resources.notifications.webhooks
        made = await register(api, receiver.url, ["appointment.confirmed", "appointment.cancelled"])
        rotated = await webhooks.rotate_secret(ADMIN, made.endpoint.id, overlap=timedelta(hours=1))
        assert rotated.value is not None
        new_secret = rotated.value.secret
        psychologist = await api.world.psychologist(time_zone="UTC")
        appointment_id = await book(
            api, psychologist, await api.world.patient(), office_hour(api.now, 3)
        )
        [during] = await receiver.wait_for(1)
        clock.now += timedelta(hours=2)
        await cancel(api, appointment_id)
        [_, after] = await receiver.wait_for(2)
    assert new_secret != made.secret
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(made.secret).verify(during.body, during.headers)
    Webhook(new_secret).verify(during.body, during.headers)
    Webhook(new_secret).verify(after.body, after.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
