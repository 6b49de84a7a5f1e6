"""The embedded mode without a mail server: every email lands in its own catcher, listed
at /dev/mail; /dev/webhooks receives what an endpoint pointed at it is sent."""

import asyncio

from notifying import book, office_hour

from graphql_client import running_api

REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { secret userErrors { code } }
}"""


async def test_the_embedded_mode_shows_its_emails_and_receives_its_webhooks(database_url):
    async with running_api(database_url, listen=True) as api:
        assert api.server is not None
        hooks = f"http://{api.server.address}/dev/webhooks"
        made = await api.query(REGISTER, input={"url": hooks})
        assert made["data"]["registerWebhookEndpoint"]["userErrors"] == []
        psychologist = await api.world.psychologist(time_zone="UTC")
        patient = await api.world.patient()
        await book(api, psychologist, patient, office_hour(api.now, 3))

        notifications = api.resources.notifications
        assert notifications.send_emails is not None
        async with asyncio.timeout(15):
            # Each counted once the catcher or the receiver answered.
            await notifications.send_emails.count.wait_for_tried(2)
            await notifications.deliver_webhooks.count.wait_for_tried(2)
        caught = (await api.client.get("/dev/mail.json")).json()
        received = (await api.client.get("/dev/webhooks.json")).json()
        page = await api.client.get("/dev/mail")
        [number] = [m["number"] for m in caught if patient.email in m["to"]]
        invite = await api.client.get(f"/dev/mail/{number}/invite.ics")

    assert sorted(m["to"][0] for m in caught) == sorted([patient.email, psychologist.email])
    assert all(m["attachments"] == ["invite.ics"] for m in caught)
    assert page.status_code == 200
    assert "is confirmed" in page.text
    assert invite.headers["content-type"].startswith("text/calendar")
    assert b"METHOD:REQUEST" in invite.content
    assert [w["headers"]["webhook-id"][:4] for w in received] == ["msg_", "msg_"]
    assert "webhook-signature" in received[0]["headers"]
