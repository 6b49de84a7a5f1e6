"""Where a VIDEO_CALL session happens: a link made once, when the session is confirmed."""

from dataclasses import replace
from typing import Protocol

from domain.appointments import Appointment, AppointmentStatus, MeetingType


class MeetingLinks(Protocol):
    def link_for(self, appointment: Appointment) -> str:
        """A room of its own for the session, that nobody can guess."""
        ...


def with_meeting_link(appointment: Appointment, links: MeetingLinks) -> Appointment:
    """A confirmed video call gets its link; anything else stays as it is."""
    if (
        appointment.status is not AppointmentStatus.CONFIRMED
        or appointment.meeting_type is not MeetingType.VIDEO_CALL
        or appointment.meeting_url is not None
    ):
        return appointment
    return replace(appointment, meeting_url=links.link_for(appointment))
