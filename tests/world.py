"""A test's own data, written straight into the tables: psychologists, patients, and
appointments with the history their status implies.

Times come from `now`, the clock the app under test runs on (an injected instant, or
the wall clock of the processes an end-to-end test starts), never from the calendar.
An appointment stored here has no outbox row: a PENDING one is never queued, so it
stays PENDING until the test changes it.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from builders import a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus, RejectionReason, StatusEvent
from domain.people import Patient, Psychologist
from domain.schedule import Weekday, WorkingHours
from infra.db.engine import create_engine
from infra.db.rows import appointment_to_row, event_to_row, patient_to_row, psychologist_to_row
from infra.db.tables import appointment_events, appointments, patients, psychologists
from resolvers.node_ids import to_global_id

# Office hours as a clinic keeps them: weekdays, with a lunch break.
OFFICE_HOURS = tuple(
    WorkingHours(day, start, end)
    for day in list(Weekday)[:5]
    for start, end in ((time(9), time(12)), (time(13), time(18)))
)
# Zones on both sides of UTC, with and without daylight saving time.
ZONES = ("America/Sao_Paulo", "Europe/Lisbon", "America/New_York", "Asia/Tokyo", "UTC")

# Each status with the statuses that lead to it, oldest first.
PATHS: dict[AppointmentStatus, tuple[AppointmentStatus, ...]] = {
    AppointmentStatus.PENDING: (AppointmentStatus.PENDING,),
    AppointmentStatus.CONFIRMED: (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED),
    AppointmentStatus.REJECTED: (AppointmentStatus.PENDING, AppointmentStatus.REJECTED),
    AppointmentStatus.CANCELLED: (AppointmentStatus.PENDING, AppointmentStatus.CANCELLED),
    AppointmentStatus.COMPLETED: (
        AppointmentStatus.PENDING,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.COMPLETED,
    ),
    AppointmentStatus.NO_SHOW: (
        AppointmentStatus.PENDING,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.NO_SHOW,
    ),
}
REASONS = {
    AppointmentStatus.REJECTED: RejectionReason.SLOT_TAKEN.value,
    AppointmentStatus.CANCELLED: "plans changed",
}


def node_id(entity: Psychologist | Patient | Appointment) -> str:
    """The Relay global ID the API shows for `entity`."""
    return to_global_id(type(entity).__name__, entity.id)


def hours_from(now: datetime, hours: float) -> datetime:
    """A whole minute `hours` after `now`."""
    return (now + timedelta(hours=hours)).replace(second=0, microsecond=0)


@dataclass
class World:
    """Writes into `engine`'s database; `now` is the clock of the app that reads it."""

    engine: AsyncEngine
    now: datetime

    async def psychologist(self, **overrides: Any) -> Psychologist:
        [made] = await self.psychologists(1, **overrides)
        return made

    async def psychologists(self, count: int, **overrides: Any) -> list[Psychologist]:
        """`count` active psychologists keeping office hours, each in another time zone."""
        made = [
            a_psychologist(
                **{
                    "time_zone": ZONES[number % len(ZONES)],
                    "working_hours": OFFICE_HOURS,
                    "default_duration_minutes": 50,
                    **overrides,
                }
            )
            for number in range(count)
        ]
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(psychologists), [psychologist_to_row(p, self.now) for p in made]
            )
        return made

    async def patient(self, **overrides: Any) -> Patient:
        [made] = await self.patients(1, **overrides)
        return made

    async def patients(self, count: int, **overrides: Any) -> list[Patient]:
        made = [a_patient(**overrides) for _ in range(count)]
        async with self.engine.begin() as connection:
            await connection.execute(insert(patients), [patient_to_row(p, self.now) for p in made])
        return made

    async def appointment(
        self,
        psychologist: Psychologist,
        patient: Patient,
        *,
        status: AppointmentStatus = AppointmentStatus.PENDING,
        starts_at: datetime | None = None,
        **overrides: Any,
    ) -> Appointment:
        [made] = await self.appointments(
            psychologist, patient, [starts_at or hours_from(self.now, 7 * 24)], status, **overrides
        )
        return made

    async def appointments(
        self,
        psychologist: Psychologist,
        patient: Patient,
        starts: Sequence[datetime],
        status: AppointmentStatus = AppointmentStatus.PENDING,
        **overrides: Any,
    ) -> list[Appointment]:
        """One appointment at each start, in `status`, with the history leading to it
        (made a day before `now`, a step a minute)."""
        made: list[Appointment] = []
        events: list[StatusEvent] = []
        for start in starts:
            appointment, history = _with_history(
                an_appointment(
                    psychologist,
                    patient,
                    scheduled_at=start,
                    duration_minutes=psychologist.default_duration_minutes,
                    consultation_fee=psychologist.consultation_fee,
                    **overrides,
                ),
                status,
                created=self.now - timedelta(days=1),
            )
            made.append(appointment)
            events.extend(history)
        async with self.engine.begin() as connection:
            await connection.execute(insert(appointments), [appointment_to_row(a) for a in made])
            await connection.execute(insert(appointment_events), [event_to_row(e) for e in events])
        return made


def _with_history(
    draft: Appointment, status: AppointmentStatus, *, created: datetime
) -> tuple[Appointment, list[StatusEvent]]:
    request_id = f"test-{uuid4().hex[:12]}"
    events = []
    previous: AppointmentStatus | None = None
    for version, step in enumerate(PATHS[status], start=1):
        events.append(
            StatusEvent(
                appointment_id=draft.id,
                version=version,
                status=step,
                previous_status=previous,
                occurred_at=created + timedelta(minutes=version - 1),
                reason=REASONS.get(step),
                request_id=request_id,
            )
        )
        previous = step
    reason = REASONS.get(status)
    appointment = replace(
        draft,
        status=status,
        version=len(events),
        created_at=created,
        updated_at=events[-1].occurred_at,
        rejection_reason=RejectionReason(reason) if status is AppointmentStatus.REJECTED else None,
        cancellation_reason=reason if status is AppointmentStatus.CANCELLED else None,
        is_paid=status is AppointmentStatus.COMPLETED,
        amount_paid=draft.consultation_fee
        if status is AppointmentStatus.COMPLETED
        else draft.amount_paid,
        request_id=request_id,
    )
    return appointment, events


@asynccontextmanager
async def world_in(database_url: str, *, now: datetime) -> AsyncIterator[World]:
    """A `World` on a database of its own connection pool, closed at the end."""
    engine = create_engine(database_url)
    try:
        yield World(engine, now)
    finally:
        await engine.dispose()
