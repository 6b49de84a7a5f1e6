"""The emails' words from the templates: both parts, each person's view, their own clock,
HTML escaped."""

from dataclasses import replace
from datetime import timedelta

from application.notification_ports import People
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus
from domain.notices import Notice, Party, Recipient
from infra.mail.templates import TemplateComposer

PEOPLE = People(
    patient=Party("Bo <script>", "bo@mail.example", "America/Sao_Paulo"),
    psychologist=Party("Dr. Ana", "ana@clinic.example", "Europe/Lisbon"),
)


def session(**overrides):
    return an_appointment(
        a_psychologist(),
        a_patient(),
        status=AppointmentStatus.CONFIRMED,
        version=2,
        scheduled_at=NOW + timedelta(days=3),
        **overrides,
    )


def test_a_confirmation_speaks_to_each_person_of_the_other_on_their_own_clock():
    composer = TemplateComposer()
    appointment = session(meeting_url="https://meet.example/room")
    to_patient = composer.compose(
        Notice.CONFIRMED,
        recipient=Recipient.PATIENT,
        appointment=appointment,
        people=PEOPLE,
        reason=None,
        at=NOW,
    )
    to_psychologist = composer.compose(
        Notice.CONFIRMED,
        recipient=Recipient.PSYCHOLOGIST,
        appointment=appointment,
        people=PEOPLE,
        reason=None,
        at=NOW,
    )
    # 2030-01-10 12:00 UTC: 09:00 in São Paulo, 12:00 in Lisbon.
    assert "Thursday 10 January 2030 at 09:00 (America/Sao_Paulo)" in to_patient.text
    assert "Thursday 10 January 2030 at 12:00 (Europe/Lisbon)" in to_psychologist.text
    assert "with Dr. Ana is confirmed" in to_patient.text
    assert "Link: https://meet.example/room" in to_patient.text
    assert to_patient.invite is not None
    assert to_patient.invite.method == "REQUEST"
    assert to_patient.subject.startswith("Your session on Thursday 10 January 2030")


def test_html_is_escaped_and_text_is_not():
    composer = TemplateComposer()
    mail = composer.compose(
        Notice.CONFIRMED,
        recipient=Recipient.PSYCHOLOGIST,
        appointment=session(),
        people=PEOPLE,
        reason=None,
        at=NOW,
    )
    assert "Bo &lt;script&gt;" in mail.html
    assert "<script>" not in mail.html
    assert "Bo <script>" in mail.text


def test_a_rejection_gives_the_reason_in_words_and_a_reminder_no_calendar_file():
    composer = TemplateComposer()
    rejected = composer.compose(
        Notice.REJECTED,
        recipient=Recipient.PATIENT,
        appointment=replace(session(), status=AppointmentStatus.REJECTED),
        people=PEOPLE,
        reason="OUTSIDE_WORKING_HOURS",
        at=NOW,
    )
    reminder = composer.compose(
        Notice.REMINDER,
        recipient=Recipient.PATIENT,
        appointment=session(),
        people=PEOPLE,
        reason=None,
        at=NOW,
        before_minutes=90,
    )
    assert "Why: the psychologist does not work at that time." in rejected.text
    assert rejected.invite is not None
    assert rejected.invite.method == "CANCEL"
    assert "It starts in 1 hour 30 minutes." in reminder.text
    assert reminder.invite is None
