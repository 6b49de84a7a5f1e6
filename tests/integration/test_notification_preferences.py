"""Preferences through GraphQL, and what they change: a patient turns email off; a
psychologist chooses the notices they get."""

import pytest
from notifying import book, cancel, notifying_api, office_hour
from sqlalchemy import select

from infra.db.notification_tables import outgoing_emails
from support.smtp_server import TlsSmtpServer

SET = """
mutation($input: NotificationPreferencesInput!) {
  setMyNotificationPreferences(input: $input) {
    preferences { emailEnabled notices }
    userErrors { field code }
  }
}"""
MINE = "{ myNotificationPreferences { emailEnabled notices } }"


@pytest.fixture
async def smtp(tmp_path):
    server = TlsSmtpServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


async def test_each_person_gets_only_the_email_they_chose(database_url, smtp):
    async with notifying_api(database_url, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC")
        quiet, chatty = await api.world.patients(2)
        assert psychologist.subject
        assert quiet.subject
        before = await api.query(MINE, as_=("patient", quiet.subject))
        assert before["data"]["myNotificationPreferences"]["emailEnabled"] is True

        off = await api.query(SET, as_=("patient", quiet.subject), input={"emailEnabled": False})
        assert off["data"]["setMyNotificationPreferences"]["preferences"]["emailEnabled"] is False
        chosen = await api.query(
            SET, as_=("psychologist", psychologist.subject), input={"notices": ["CANCELLED"]}
        )
        assert chosen["data"]["setMyNotificationPreferences"]["preferences"] == {
            "emailEnabled": True,
            "notices": ["CANCELLED"],
        }

        quiet_id = await book(api, psychologist, quiet, office_hour(api.now, 3))
        await book(api, psychologist, chatty, office_hour(api.now, 4))
        await cancel(api, quiet_id)
        # The chatty patient's confirmation, and the psychologist's cancellation notice.
        mails = await smtp.wait_for(2)
        after = await api.query(MINE, as_=("patient", quiet.subject))
        # Those two are every email stored: nothing else is on its way.
        async with api.resources.engine.connect() as connection:
            stored = (await connection.execute(select(outgoing_emails.c.to_address))).all()

    assert after["data"]["myNotificationPreferences"]["emailEnabled"] is False
    assert sorted((m.recipients[0], m.subject.split(" ")[-1]) for m in mails) == sorted(
        [(chatty.email, "confirmed"), (psychologist.email, "cancelled")]
    )
    assert smtp.to(quiet.email) == []
    assert sorted(row.to_address for row in stored) == sorted([chatty.email, psychologist.email])


async def test_a_patient_cannot_choose_notices_and_an_admin_has_no_preferences(database_url):
    async with notifying_api(database_url) as api:
        patient = await api.world.patient()
        assert patient.subject
        refused = await api.query(SET, as_=("patient", patient.subject), input={"notices": []})
        admin = await api.query(SET, input={"emailEnabled": False})
        admin_reads = await api.query(MINE)
    assert refused["data"]["setMyNotificationPreferences"]["userErrors"] == [
        {"field": ["input", "notices"], "code": "INVALID_INPUT"}
    ]
    assert admin["data"]["setMyNotificationPreferences"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert admin_reads["data"]["myNotificationPreferences"] is None
