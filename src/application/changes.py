"""What a unit of work announces once it has committed."""

from dataclasses import dataclass

from domain.appointments import Appointment, StatusEvent


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An appointment as a change left it, and the event that records the change (with the
    sequence the store gave it)."""

    appointment: Appointment
    event: StatusEvent
