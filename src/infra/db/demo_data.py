"""A deterministic demo world: psychologists in three time zones, patients, appointments
in every status, each with a history that matches its status."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.appointments import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MeetingType,
    RejectionReason,
    StatusEvent,
)
from domain.people import Patient, Psychologist
from domain.schedule import Weekday, WorkingHours
from infra.db.demo_calendars import calendar_rows, seed_calendars, with_profiles, with_time_zones
from infra.db.rows import appointment_to_row, event_to_row, patient_to_row, psychologist_to_row
from infra.db.tables import appointment_events, appointments, patients, psychologists

ZONES = ("America/Sao_Paulo", "America/New_York", "Europe/Lisbon")
SPECIALTIES = ("anxiety", "depression", "couples", "trauma", "adolescents", "grief")
FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elisa",
    "Felipe",
    "Gabriela",
    "Hugo",
    "Irene",
    "João",
    "Karina",
    "Lucas",
    "Marta",
    "Nuno",
    "Olivia",
    "Paulo",
    "Queila",
    "Rafael",
    "Sofia",
    "Tiago",
)
LAST_NAMES = ("Silva", "Souza", "Costa", "Pereira", "Almeida", "Ribeiro", "Carvalho", "Gomes")

# Each status with the path of statuses that leads to it, oldest first.
PATHS: dict[AppointmentStatus, tuple[AppointmentStatus, ...]] = {
    AppointmentStatus.PENDING: (AppointmentStatus.PENDING,),
    AppointmentStatus.CONFIRMED: (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED),
    AppointmentStatus.REJECTED: (AppointmentStatus.PENDING, AppointmentStatus.REJECTED),
    AppointmentStatus.CANCELLED: (
        AppointmentStatus.PENDING,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CANCELLED,
    ),
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
PAST_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
)
FUTURE_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.REJECTED,
    AppointmentStatus.CANCELLED,
)


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def demo_psychologists(rng: random.Random, count: int) -> list[Psychologist]:
    weekday_hours = [
        (time(9), time(12)),
        (time(13), time(18)),
    ]
    result = []
    for number in range(1, count + 1):
        hours = tuple(
            WorkingHours(day, start, end)
            for day in list(Weekday)[:5]
            for start, end in weekday_hours
        ) + ((WorkingHours(Weekday.SATURDAY, time(9), time(13)),) if number % 2 else ())
        result.append(
            Psychologist(
                id=_uuid(rng),
                subject=f"psychologist-{number}",
                name=f"Dr. {FIRST_NAMES[(number * 7) % len(FIRST_NAMES)]} "
                f"{LAST_NAMES[number % len(LAST_NAMES)]}",
                email=f"psychologist{number}@clinic.example",
                specialties=tuple(rng.sample(SPECIALTIES, 2)),
                time_zone=ZONES[(number - 1) % len(ZONES)],
                working_hours=hours,
                default_duration_minutes=50,
                consultation_fee=Decimal(120 + 10 * number).quantize(Decimal("0.01")),
                active=number != count,
            )
        )
    return result


def demo_patients(rng: random.Random, count: int) -> list[Patient]:
    return [
        Patient(
            id=_uuid(rng),
            subject=f"patient-{number}",
            name=f"{FIRST_NAMES[(number - 1) % len(FIRST_NAMES)]} {LAST_NAMES[number % len(LAST_NAMES)]}",
            email=f"patient{number}@mail.example",
            phone=f"+55119{number:08d}",
        )
        for number in range(1, count + 1)
    ]


def _sessions(psychologist: Psychologist, first_day: date, days: int) -> list[datetime]:
    """Whole-hour session starts inside the psychologist's working hours, in UTC."""
    zone = ZoneInfo(psychologist.time_zone)
    starts = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for hours in psychologist.working_hours:
            if hours.weekday != day.weekday():
                continue
            hour = hours.start.hour
            while time(hour + 1) <= hours.end:
                starts.append(datetime.combine(day, time(hour), zone).astimezone(UTC))
                hour += 1
    return starts


def demo_appointments(
    rng: random.Random,
    people: list[Psychologist],
    clients: list[Patient],
    count: int,
    now: datetime,
) -> tuple[list[Appointment], list[StatusEvent]]:
    """`count` appointments from 45 days before `now` to 75 days after, none in the two days
    around it; every patient has some, and none has two at once."""
    first_day = (now - timedelta(days=45)).date()
    candidates = [
        (psychologist, start)
        for psychologist in people
        for start in _sessions(psychologist, first_day, 120)
        if start > now + timedelta(days=2) or start < now - timedelta(days=1)
    ]
    chosen = rng.sample(candidates, count)
    made: list[Appointment] = []
    events: list[StatusEvent] = []
    # Every session starts on a whole UTC hour (the zones are whole hours from UTC) and is
    # shorter than an hour: two of one patient overlap only when they start together.
    booked: set[tuple[UUID, datetime]] = set()
    for number, (psychologist, start) in enumerate(chosen):
        future = start > now
        status = rng.choice(FUTURE_STATUSES if future else PAST_STATUSES)
        created = min(start, now) - timedelta(days=rng.randint(3, 30), minutes=rng.randint(0, 600))
        patient = _free_patient(clients, number, start, booked)
        booked.add((patient.id, start))
        appointment, history = _with_history(rng, psychologist, patient, start, status, created)
        made.append(appointment)
        events.extend(history)
    return made, events


def _free_patient(
    clients: list[Patient], turn: int, start: datetime, booked: set[tuple[UUID, datetime]]
) -> Patient:
    """The patient whose turn it is, or the next one free at `start`."""
    for offset in range(len(clients)):
        patient = clients[(turn + offset) % len(clients)]
        if (patient.id, start) not in booked:
            return patient
    raise ValueError(f"no demo patient is free at {start.isoformat()}")


def _with_history(
    rng: random.Random,
    psychologist: Psychologist,
    patient: Patient,
    start: datetime,
    status: AppointmentStatus,
    created: datetime,
) -> tuple[Appointment, list[StatusEvent]]:
    path = PATHS[status]
    appointment_id = _uuid(rng)
    events = []
    previous: AppointmentStatus | None = None
    at = created
    for version, step in enumerate(path, start=1):
        reason = None
        if step is AppointmentStatus.REJECTED:
            reason = rng.choice([RejectionReason.SLOT_TAKEN, RejectionReason.TOO_SOON]).value
        elif step is AppointmentStatus.CANCELLED:
            reason = "Patient asked to reschedule"
        events.append(
            StatusEvent(
                appointment_id,
                version,
                step,
                previous,
                at,
                reason,
                f"seed-{appointment_id.hex[:12]}",
            )
        )
        previous = step
        at = at + timedelta(minutes=rng.randint(1, 120))
    last = events[-1]
    appointment = Appointment(
        id=appointment_id,
        patient_id=patient.id,
        psychologist_id=psychologist.id,
        scheduled_at=start,
        duration_minutes=50,
        appointment_type=rng.choice(list(AppointmentType)),
        meeting_type=rng.choice(list(MeetingType)),
        consultation_fee=psychologist.consultation_fee,
        status=status,
        version=len(events),
        created_at=created,
        updated_at=last.occurred_at,
        meeting_url=None,
        notes=None,
        is_paid=status is AppointmentStatus.COMPLETED,
        # A completed demo session was paid in full.
        amount_paid=(
            psychologist.consultation_fee
            if status is AppointmentStatus.COMPLETED
            else Decimal("0.00")
        ),
        rejection_reason=RejectionReason(last.reason)
        if status is AppointmentStatus.REJECTED and last.reason
        else None,
        cancellation_reason=last.reason if status is AppointmentStatus.CANCELLED else None,
        request_id=last.request_id,
    )
    return appointment, events


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        count = (
            await connection.execute(select(func.count()).select_from(psychologists))
        ).scalar_one()
    return count == 0


async def seed_demo_world(
    engine: AsyncEngine,
    *,
    now: datetime,
    psychologist_count: int = 6,
    patient_count: int = 20,
    appointment_count: int = 200,
    seed: int = 20261125,
) -> None:
    rng = random.Random(seed)
    people = demo_psychologists(rng, psychologist_count)
    clients = demo_patients(rng, patient_count)
    made, events = demo_appointments(rng, people, clients, appointment_count, now)
    people, clients = with_profiles(people), with_time_zones(clients)
    calendars = calendar_rows(people, made, now)
    async with engine.begin() as connection:
        await connection.execute(
            insert(psychologists), [psychologist_to_row(p, now) for p in people]
        )
        await connection.execute(insert(patients), [patient_to_row(p, now) for p in clients])
        await connection.execute(insert(appointments), [appointment_to_row(a) for a in made])
        await connection.execute(insert(appointment_events), [event_to_row(e) for e in events])
        await seed_calendars(connection, calendars)
