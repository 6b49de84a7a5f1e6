"""What the use cases of a session's life share: their dependencies, one unit of work that
commits only when nothing was refused, who made a change, and the common refusals."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

from application.meeting_links import MeetingLinks
from application.outcomes import Outcome, Problem
from application.unit_of_work import Transactions, UnitOfWork
from domain.appointments import Actor, ActorRole, Appointment
from domain.calendar import Calendar
from domain.lifecycle import MAX_NOTE_LENGTH
from domain.policy import BookingPolicy
from domain.schedule import Interval
from domain.viewer import Role, Viewer

NOT_FOUND = Problem("NOT_FOUND", ("appointmentId",), "No such appointment.")
STAFF_ONLY = Problem("FORBIDDEN", (), "Only the session's psychologist or an admin may do this.")
NOT_FOR_PSYCHOLOGISTS = Problem("FORBIDDEN", (), "Only the patient or an admin may do this.")
# Enough around a session to see every session its buffers or its local date may meet.
AROUND = timedelta(days=2)


def actor_of(viewer: Viewer) -> Actor:
    return Actor(ActorRole(viewer.role.value), viewer.subject)


def is_staff(viewer: Viewer) -> bool:
    """Staff of a session they can see: its psychologist, or an admin."""
    return viewer.role in (Role.PSYCHOLOGIST, Role.ADMIN)


def note_problem(note: str | None, field: str, *, required: bool = False) -> Problem | None:
    if note is None or not note.strip():
        if required:
            return Problem("INVALID_INPUT", (field,), "Say why, in a few words.")
        return None
    if len(note) > MAX_NOTE_LENGTH:
        return Problem("INVALID_INPUT", (field,), f"At most {MAX_NOTE_LENGTH} characters.")
    return None


def in_state(message: str, code: str = "INVALID_STATE") -> Problem:
    return Problem(code, ("appointmentId",), message)


async def calendar_of(unit: UnitOfWork, appointment: Appointment, *, lock: bool) -> Calendar:
    around = Interval(appointment.scheduled_at - AROUND, appointment.ends_at + AROUND)
    if lock:
        found = await unit.calendars.lock(appointment.psychologist_id, around)
    else:
        found = (await unit.calendars.calendars([appointment.psychologist_id], around)).get(
            appointment.psychologist_id
        )
    if found is None:
        raise LookupError(f"appointment {appointment.id} names no known psychologist")
    return found


class SessionUseCase:
    def __init__(
        self,
        *,
        transactions: Transactions,
        clock: Callable[[], datetime],
        policy: BookingPolicy,
        new_id: Callable[[], UUID],
        meetings: MeetingLinks,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._policy = policy
        self._new_id = new_id
        self._meetings = meetings

    async def _run(self, work: Callable[[UnitOfWork, datetime], Awaitable[Outcome]]) -> Outcome:
        """``work`` in one unit of work, committed unless it answered with problems."""
        now = self._clock()
        async with self._transactions() as unit:
            outcome = await work(unit, now)
            if not outcome.problems:
                await unit.commit()
        return outcome
