"""The iCalendar (RFC 5545/5546) invitation an email carries: one event per appointment,
the same UID across every change, a SEQUENCE that grows with the appointment's version,
METHOD:REQUEST to add or move it, METHOD:CANCEL to take it out of the calendar."""

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from domain.appointments import Appointment, AppointmentStatus
from domain.notices import Party

PRODUCT_ID = "-//Appointment API//Sessions//EN"
UID_DOMAIN = "appointments.invalid"


@dataclass(frozen=True, slots=True)
class Invite:
    method: str
    content: bytes

    @property
    def filename(self) -> str:
        return "cancel.ics" if self.method == "CANCEL" else "invite.ics"


def uid(appointment: Appointment) -> str:
    return f"{appointment.id}@{UID_DOMAIN}"


def invite(
    appointment: Appointment,
    *,
    psychologist: Party,
    patient: Party,
    stamped_at: datetime,
) -> Invite | None:
    """The calendar change an appointment's state calls for: a request while it is
    confirmed, a cancellation once it is cancelled or rejected; None while it is pending
    or over (completed, no-show: nothing in a calendar changes)."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        method, status = "REQUEST", "CONFIRMED"
    elif appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.REJECTED):
        method, status = "CANCEL", "CANCELLED"
    else:
        return None
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid(appointment))
    # The version counts every change; a client keeps the highest SEQUENCE it has seen.
    event.add("sequence", appointment.version)
    event.add("dtstamp", stamped_at)
    event.add("dtstart", appointment.scheduled_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"Session with {psychologist.name}")
    event.add("status", status)
    if appointment.meeting_url:
        event.add("location", appointment.meeting_url)
        event.add("url", appointment.meeting_url)
    organizer = vCalAddress(f"mailto:{psychologist.email}")
    organizer.params["cn"] = vText(psychologist.name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{patient.email}")
    attendee.params["cn"] = vText(patient.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return Invite(method=method, content=calendar.to_ical())
