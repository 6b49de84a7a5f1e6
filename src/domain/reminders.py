"""Reminders before a session: which to plan when it is confirmed (or moved), and whether a
planned one is still worth sending when it falls due."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.appointments import Appointment, AppointmentStatus

DEFAULT_OFFSETS = (timedelta(hours=24), timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """A reminder ``before`` the session that starts at ``session_at``, due at ``due_at``."""

    appointment_id: UUID
    before: timedelta
    session_at: datetime

    @property
    def due_at(self) -> datetime:
        return self.session_at - self.before


def plan(
    appointment: Appointment, offsets: Sequence[timedelta], now: datetime
) -> list[PlannedReminder]:
    """The reminders a confirmed session gets: one per offset whose time is still ahead (a
    session confirmed three hours before it starts gets no 24-hour reminder)."""
    if appointment.status is not AppointmentStatus.CONFIRMED:
        return []
    planned = [
        PlannedReminder(appointment.id, before, appointment.scheduled_at)
        for before in sorted(set(offsets), reverse=True)
        if before > timedelta(0)
    ]
    return [reminder for reminder in planned if reminder.due_at > now]


def still_wanted(session_at: datetime, appointment: Appointment | None, now: datetime) -> bool:
    """A due reminder is sent only while its session is confirmed, at the time it was planned
    for (not cancelled nor moved meanwhile), and has not started."""
    return (
        appointment is not None
        and appointment.status is AppointmentStatus.CONFIRMED
        and appointment.scheduled_at == session_at
        and now < session_at
    )


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """``24h,1h`` or ``1d,90m``: how long before a session each reminder goes out."""
    units = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
    offsets = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part[-1] not in units or not part[:-1].isdigit() or int(part[:-1]) == 0:
            raise ValueError(f"{part!r} is not a duration such as 24h, 90m or 2d")
        offsets.append(int(part[:-1]) * units[part[-1]])
    return tuple(sorted(set(offsets), reverse=True))
