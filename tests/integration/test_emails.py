"""Emails end to end on PostgreSQL, through a real SMTP server that requires STARTTLS: both
people told of a confirmation, a rejection (in plain words) and a cancellation, plain text
and HTML, with a calendar file that adds and then cancels the same event; retried when the
server refuses; never in the way of a decision."""

import asyncio
from datetime import timedelta

import pytest
from icalendar import Calendar
from notifying import REQUEST, book, cancel, embedded_database, notifying_api, office_hour

from graphql_client import APP_NOW
from support.smtp_server import TlsSmtpServer
from use_cases import Clock
from world import node_id


@pytest.fixture
async def smtp(tmp_path):
    server = TlsSmtpServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


def event_of(ics: bytes):
    calendar = Calendar.from_ical(ics)
    return calendar, calendar.walk("VEVENT")[0]


@pytest.fixture(params=["postgresql", "sqlite"])
async def any_database_url(request, tmp_path):
    """PostgreSQL, and SQLite as the embedded mode runs it."""
    if request.param == "postgresql":
        return request.getfixturevalue("database_url")
    return await embedded_database(tmp_path)


async def test_a_confirmation_and_a_cancellation_reach_both_people_with_the_same_calendar_event(
    any_database_url, smtp
):
    async with notifying_api(any_database_url, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC", name="Dr. Ana Lima")
        patient = await api.world.patient(name="Bo Reis")
        starts = office_hour(api.now, 3)
        appointment_id = await book(api, psychologist, patient, starts)
        await smtp.wait_for(2)
        await cancel(api, appointment_id, reason="Travelling")
        await smtp.wait_for(4)

    [confirmed, cancelled] = smtp.to(patient.email)
    assert len(smtp.to(psychologist.email)) == 2
    assert all(mail.over_tls for mail in smtp.mails)
    assert confirmed.message["From"] == "Clinic <clinic@test.example>"
    assert "is confirmed" in confirmed.subject
    assert "Dr. Ana Lima" in confirmed.body("plain")
    assert "<strong>Dr. Ana Lima</strong>" in confirmed.body("html")
    name, ics = confirmed.calendar()
    calendar, event = event_of(ics)
    assert name == "invite.ics"
    assert calendar["method"] == "REQUEST"
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtend") == starts + timedelta(minutes=50)
    assert str(event["attendee"]) == f"mailto:{patient.email}"

    assert "is cancelled" in cancelled.subject
    assert "Reason given: Travelling" in cancelled.body("plain")
    name, ics = cancelled.calendar()
    calendar, gone = event_of(ics)
    assert name == "cancel.ics"
    assert calendar["method"] == "CANCEL"
    assert gone["uid"] == event["uid"]
    assert int(gone["sequence"]) > int(event["sequence"])
    # The psychologist's copy speaks of the patient.
    [to_psychologist, _] = smtp.to(psychologist.email)
    assert "Bo Reis" in to_psychologist.body("plain")


RESCHEDULE = """
mutation($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { userErrors { code field } }
}"""


async def test_a_session_moved_to_a_new_time_moves_the_same_calendar_event_for_both_people(
    any_database_url, smtp
):
    async with notifying_api(any_database_url, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC", name="Dr. Ana Lima")
        patient = await api.world.patient(name="Bo Reis")
        assert patient.subject is not None
        starts = office_hour(api.now, 3)
        moved_to = office_hour(api.now, 6)
        appointment_id = await book(api, psychologist, patient, starts)
        await smtp.wait_for(2)
        body = await api.query(
            RESCHEDULE,
            as_=("patient", patient.subject),
            input={"appointmentId": appointment_id, "scheduledAt": moved_to.isoformat()},
        )
        assert body["data"]["rescheduleAppointment"]["userErrors"] == [], body
        await smtp.wait_for(4)

    [confirmed, moved] = smtp.to(patient.email)
    assert len(smtp.to(psychologist.email)) == 2
    assert "has moved" in moved.subject
    _, first = event_of(confirmed.calendar()[1])
    calendar, again = event_of(moved.calendar()[1])
    assert calendar["method"] == "REQUEST"
    assert again["uid"] == first["uid"]
    assert int(again["sequence"]) > int(first["sequence"])
    assert again.decoded("dtstart") == moved_to


async def test_a_rejection_says_why_in_plain_words(database_url, smtp):
    async with notifying_api(database_url, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC")
        first, second = await api.world.patients(2)
        starts = office_hour(api.now, 3)
        ids = []
        for patient in (first, second):
            assert patient.subject is not None
            body = await api.query(
                REQUEST,
                as_=("patient", patient.subject),
                input={
                    "psychologistId": node_id(psychologist),
                    "scheduledAt": starts.isoformat(),
                    "durationMinutes": 50,
                },
            )
            ids.append(body["data"]["requestAppointment"]["appointment"]["id"])
        outcomes = {await api.wait_for_status(i, "CONFIRMED") for i in ids}
        assert outcomes == {"CONFIRMED", "REJECTED"}
        await smtp.wait_for(4)
    rejected = [m for m in smtp.mails if "could not be accepted" in m.subject]
    assert len(rejected) == 2  # the patient and the psychologist
    to_patient = next(m for m in rejected if m.recipients[0] in (first.email, second.email))
    assert "Why: the time was taken by another session in the meantime." in to_patient.body("plain")
    assert "SLOT_TAKEN" not in to_patient.body("plain")
    assert to_patient.calendar()[0] == "cancel.ics"


async def test_an_email_the_server_refuses_is_sent_again_later(database_url, smtp):
    smtp.refuse_next = 2
    clock = Clock(APP_NOW)
    async with notifying_api(database_url, clock, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC")
        patient = await api.world.patient()
        await book(api, psychologist, patient, office_hour(api.now, 3))
        sent = api.resources.notifications.send_emails
        assert sent is not None
        async with asyncio.timeout(15):
            await sent.count.wait_for_tried(2)
        assert smtp.mails == []
        clock.now += timedelta(minutes=1)
        mails = await smtp.wait_for(2)
    assert sorted(m.recipients[0] for m in mails) == sorted([patient.email, psychologist.email])


async def test_a_decision_does_not_wait_for_a_mail_server_that_is_down(database_url, smtp):
    await smtp.stop()
    async with notifying_api(database_url, **smtp.settings()) as api:
        psychologist = await api.world.psychologist(time_zone="UTC")
        # Confirmed (and published) although no email can go out.
        await book(api, psychologist, await api.world.patient(), office_hour(api.now, 3))
    assert smtp.mails == []
