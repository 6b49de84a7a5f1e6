"""A request for an appointment, and the checks of its input that need no data."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.appointments import AppointmentType, MeetingType

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
# \Z, not $: a $ also matches before a final newline, which the database then stores.
E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not checkable here.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z")
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
MAX_NOTES_LENGTH = 2000
MAX_IDEMPOTENCY_KEY_LENGTH = 200


def normal_email(email: str) -> str:
    """The form a patient's email is stored and compared in: case-folded here, in Python,
    because SQLite's lower() folds ASCII letters only (``ÉLISE@x.zz`` would not meet
    ``élise@x.zz``)."""
    return email.casefold()


@dataclass(frozen=True, slots=True)
class PatientProfile:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentRequest:
    psychologist_id: UUID
    scheduled_at: datetime
    appointment_type: AppointmentType
    meeting_type: MeetingType
    duration_minutes: int | None = None
    notes: str | None = None
    patient: PatientProfile | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class InputProblem:
    """``path`` is relative to the request, e.g. ("patient", "email")."""

    path: tuple[str, ...]
    message: str


def check_profile(profile: PatientProfile) -> list[InputProblem]:
    problems = []
    if not 1 <= len(profile.name.strip()) <= MAX_NAME_LENGTH:
        problems.append(InputProblem(("patient", "name"), "Name must have 1 to 200 characters."))
    if len(profile.email) > MAX_EMAIL_LENGTH or not EMAIL.match(profile.email):
        problems.append(InputProblem(("patient", "email"), "Email is not a valid address."))
    if profile.phone is not None and not E164.match(profile.phone):
        problems.append(
            InputProblem(("patient", "phone"), "Phone must be in E.164 form, e.g. +5511999999999.")
        )
    return problems


def check_free_text(request: AppointmentRequest) -> list[InputProblem]:
    problems = []
    if request.notes is not None and len(request.notes) > MAX_NOTES_LENGTH:
        problems.append(InputProblem(("notes",), "Notes may have at most 2000 characters."))
    key = request.idempotency_key
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        problems.append(
            InputProblem(("idempotencyKey",), "The idempotency key must have 1 to 200 characters.")
        )
    if request.patient is not None:
        problems.extend(check_profile(request.patient))
    return problems
