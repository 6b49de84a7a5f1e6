from dataclasses import replace
from datetime import timedelta

from icalendar import Calendar

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus
from domain.calendar_invite import invite, uid
from domain.notices import Party

PSYCHOLOGIST = Party("Dr. Ana", "ana@clinic.example")
PATIENT = Party("Bo", "bo@mail.example")


def parsed(appointment):
    found = invite(appointment, psychologist=PSYCHOLOGIST, patient=PATIENT, stamped_at=NOW)
    assert found is not None
    calendar = Calendar.from_ical(found.content)
    return found, calendar, calendar.walk("VEVENT")[0]


def confirmed():
    return an_appointment(
        a_psychologist(), a_patient(), status=AppointmentStatus.CONFIRMED, version=2
    )


def test_a_confirmation_adds_the_session_with_its_times_and_people():
    appointment = confirmed()
    found, calendar, event = parsed(appointment)
    assert found.method == "REQUEST"
    assert calendar["method"] == "REQUEST"
    assert event["uid"] == uid(appointment)
    assert event.decoded("dtstart") == appointment.scheduled_at
    assert event.decoded("dtend") == appointment.ends_at
    assert int(event["sequence"]) == 2
    assert str(event["organizer"]) == "mailto:ana@clinic.example"
    assert str(event["attendee"]) == "mailto:bo@mail.example"


def test_a_move_keeps_the_uid_with_a_higher_sequence_and_the_new_time():
    before = confirmed()
    after = replace(before, version=3, scheduled_at=before.scheduled_at + timedelta(days=1))
    _, _, first = parsed(before)
    _, _, moved = parsed(after)
    assert moved["uid"] == first["uid"]
    assert int(moved["sequence"]) > int(first["sequence"])
    assert moved.decoded("dtstart") == after.scheduled_at


def test_a_cancellation_or_rejection_cancels_the_same_event():
    appointment = confirmed()
    for status in (AppointmentStatus.CANCELLED, AppointmentStatus.REJECTED):
        gone = replace(appointment, status=status, version=3)
        found, calendar, event = parsed(gone)
        assert found.method == "CANCEL"
        assert calendar["method"] == "CANCEL"
        assert event["status"] == "CANCELLED"
        assert event["uid"] == uid(appointment)


def test_a_pending_or_finished_session_changes_no_calendar():
    appointment = an_appointment(a_psychologist(), a_patient())
    for status in (AppointmentStatus.PENDING, AppointmentStatus.COMPLETED):
        assert (
            invite(
                replace(appointment, status=status),
                psychologist=PSYCHOLOGIST,
                patient=PATIENT,
                stamped_at=NOW,
            )
            is None
        )
