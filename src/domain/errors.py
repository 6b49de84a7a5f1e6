"""Errors the domain raises when asked to break its own rules."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.appointments import AppointmentStatus


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""


class InvalidTransition(DomainError):
    def __init__(self, current: "AppointmentStatus", target: "AppointmentStatus") -> None:
        super().__init__(f"an appointment cannot go from {current} to {target}")
        self.current = current
        self.target = target


class SlotTaken(DomainError):
    """A CONFIRMED appointment of the psychologist already overlaps the interval."""
