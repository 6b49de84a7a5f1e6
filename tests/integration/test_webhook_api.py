"""Webhooks through GraphQL: admins register, read the log, redeliver; the secret is shown
once; others are refused."""

from notifying import attempts_recorded, book, notifying_api, office_hour
from standardwebhooks.webhooks import Webhook

from graphql_client import codes
from support.webhook_receiver import WebhookReceiver

REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    endpoint { id url eventTypes enabled description }
    secret
    userErrors { field code message }
  }
}"""
ENDPOINTS = "{ webhookEndpoints { id url enabled eventTypes } }"
LOG = """
query($appointment: ID) {
  webhookDeliveries(appointmentId: $appointment) {
    id messageId eventType status attempts responseStatus appointmentId payload
  }
}"""
REDELIVER = """
mutation($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) { delivery { status attempts } userErrors { code } }
}"""


async def test_an_admin_registers_an_endpoint_reads_its_log_and_redelivers(database_url):
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        async with notifying_api(database_url) as api:
            body = await api.query(
                REGISTER,
                input={
                    "url": receiver.url,
                    "eventTypes": ["appointment.confirmed"],
                    "description": "Billing",
                },
            )
            made = body["data"]["registerWebhookEndpoint"]
            assert made["userErrors"] == []
            assert made["secret"].startswith("whsec_")
            assert made["endpoint"]["enabled"]

            listed = (await api.query(ENDPOINTS))["data"]["webhookEndpoints"]
            assert [e["id"] for e in listed] == [made["endpoint"]["id"]]
            assert "secret" not in str(listed)

            psychologist = await api.world.psychologist(time_zone="UTC")
            appointment_id = await book(
                api, psychologist, await api.world.patient(), office_hour(api.now, 3)
            )
            [first] = await receiver.wait_for(1)
            await attempts_recorded(api, 1)
            [delivery] = (await api.query(LOG, appointment=appointment_id))["data"][
                "webhookDeliveries"
            ]
            assert delivery["status"] == "DELIVERED"
            assert delivery["responseStatus"] == 200
            assert delivery["messageId"] == first.headers["webhook-id"]
            assert delivery["payload"]["type"] == "appointment.confirmed"

            again = await api.query(REDELIVER, input={"deliveryId": delivery["id"]})
            assert again["data"]["redeliverWebhook"]["userErrors"] == []
            [_, second] = await receiver.wait_for(2)
    finally:
        await receiver.stop()
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    Webhook(made["secret"]).verify(second.body, second.headers)


async def test_an_endpoint_with_a_bad_url_or_event_type_is_refused_with_the_field(database_url):
    async with notifying_api(database_url) as api:
        body = await api.query(
            REGISTER, input={"url": "ftp://crm.example/x", "eventTypes": ["confirmed"]}
        )
    payload = body["data"]["registerWebhookEndpoint"]
    assert payload["endpoint"] is None
    assert payload["secret"] is None
    assert sorted(tuple(e["field"]) for e in payload["userErrors"]) == [
        ("input", "eventTypes", "0"),
        ("input", "url"),
    ]


async def test_only_admins_manage_or_read_webhooks(database_url):
    async with notifying_api(database_url) as api:
        patient = await api.world.patient()
        assert patient.subject is not None
        who = ("patient", patient.subject)
        read = await api.query(ENDPOINTS, as_=who)
        made = await api.query(REGISTER, as_=who, input={"url": "https://crm.example/hook"})
    assert codes(read) == ["FORBIDDEN"]
    assert made["data"]["registerWebhookEndpoint"]["userErrors"][0]["code"] == "FORBIDDEN"
