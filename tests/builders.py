"""Domain objects for tests, with sensible defaults and every field overridable."""

import itertools
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.appointments import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MeetingType,
    StatusEvent,
)
from domain.people import Patient, Psychologist
from domain.schedule import Weekday, WorkingHours

_numbers = itertools.count(1)
NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday


def every_day(start: time = time(0), end: time = time(23, 59)) -> tuple[WorkingHours, ...]:
    return tuple(WorkingHours(day, start, end) for day in Weekday)


def a_psychologist(**overrides: Any) -> Psychologist:
    number = next(_numbers)
    fields: dict[str, Any] = {
        "id": uuid4(),
        "subject": f"psychologist-t{number}",
        "name": f"Dr. Test {number}",
        "email": f"psy{number}-{uuid4().hex[:6]}@test.example",
        "time_zone": "UTC",
        "working_hours": every_day(),
        "default_duration_minutes": 60,
        "consultation_fee": Decimal("150.00"),
        "specialties": ("anxiety",),
    }
    fields.update(overrides)
    return Psychologist(**fields)


def a_patient(**overrides: Any) -> Patient:
    number = next(_numbers)
    fields: dict[str, Any] = {
        "id": uuid4(),
        "subject": f"patient-t{number}",
        "name": f"Patient {number}",
        "email": f"patient{number}-{uuid4().hex[:6]}@test.example",
        "phone": "+5511999990000",
    }
    fields.update(overrides)
    return Patient(**fields)


def an_appointment(
    psychologist: Psychologist | UUID, patient: Patient | UUID, **overrides: Any
) -> Appointment:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "patient_id": patient if isinstance(patient, UUID) else patient.id,
        "psychologist_id": psychologist if isinstance(psychologist, UUID) else psychologist.id,
        "scheduled_at": NOW + timedelta(days=3),
        "duration_minutes": 60,
        "appointment_type": AppointmentType.CONSULTATION,
        "meeting_type": MeetingType.VIDEO_CALL,
        "consultation_fee": Decimal("150.00"),
        "status": AppointmentStatus.PENDING,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(overrides)
    return Appointment(**fields)


def first_event(appointment: Appointment) -> StatusEvent:
    return StatusEvent(
        appointment_id=appointment.id,
        version=1,
        status=AppointmentStatus.PENDING,
        previous_status=None,
        occurred_at=appointment.created_at,
        request_id="test-request",
    )
