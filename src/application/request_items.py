"""Checking one requested item on its own, before anything is stored."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

import orjson

from application.commands import RequestItem
from application.outcomes import Problem
from application.unit_of_work import Idempotency
from domain.appointments import Appointment, AppointmentStatus
from domain.calendar import Calendar
from domain.policy import BookingPolicy
from domain.requests import (
    AppointmentRequest,
    InputProblem,
    PatientProfile,
    check_free_text,
    normal_email,
)
from domain.rules import RuleCode, RuleViolation, check_request
from domain.viewer import Role, Viewer

# Rule codes the contract names as they are; the rest are plain invalid input.
USER_ERROR_FOR_RULE = {
    RuleCode.IN_THE_PAST: "IN_THE_PAST",
    RuleCode.TOO_SOON: "TOO_SOON",
    RuleCode.TOO_FAR_AHEAD: "TOO_FAR_AHEAD",
    RuleCode.OUTSIDE_WORKING_HOURS: "OUTSIDE_WORKING_HOURS",
    RuleCode.SLOT_TAKEN: "SLOT_TAKEN",
    RuleCode.PSYCHOLOGIST_UNAVAILABLE: "PSYCHOLOGIST_UNAVAILABLE",
    RuleCode.NOT_WHOLE_MINUTE: "INVALID_INPUT",
    RuleCode.INVALID_DURATION: "INVALID_INPUT",
    RuleCode.PATIENT_CONFLICT: "INVALID_INPUT",
    # The contract's words for this code: "inactive or on time off".
    RuleCode.TIME_OFF: "PSYCHOLOGIST_UNAVAILABLE",
    RuleCode.DURATION_NOT_OFFERED: "DURATION_NOT_OFFERED",
    RuleCode.APPOINTMENT_TYPE_NOT_OFFERED: "APPOINTMENT_TYPE_NOT_OFFERED",
    RuleCode.DAILY_LIMIT_REACHED: "DAILY_LIMIT_REACHED",
}


def problem_of(violation: RuleViolation) -> Problem:
    return Problem(USER_ERROR_FOR_RULE[violation.code], (violation.field,), violation.message)


@dataclass(frozen=True, slots=True)
class PatientBySubject:
    """A patient booking for themselves: their token's subject, and maybe a profile."""

    subject: str
    profile: PatientProfile | None


@dataclass(frozen=True, slots=True)
class PatientByEmail:
    """Staff booking on someone's behalf: the patient is found or created by email."""

    profile: PatientProfile


Who = PatientBySubject | PatientByEmail


@dataclass(frozen=True, slots=True)
class Submission:
    """A valid request, ready to store once ``appointment.patient_id`` is known."""

    appointment: Appointment
    patient: Who
    idempotency: Idempotency | None

    def for_patient(self, patient_id: UUID) -> "Submission":
        return replace(self, appointment=replace(self.appointment, patient_id=patient_id))


@dataclass(frozen=True, slots=True)
class ItemChecks:
    """What checking an item needs beyond the item: who asks, when, and the rules."""

    viewer: Viewer
    calendars: dict[UUID, Calendar]
    now: datetime
    policy: BookingPolicy
    request_id: str
    new_id: Callable[[], UUID]


def check_item(item: RequestItem, checks: ItemChecks) -> Submission | list[Problem]:
    if not isinstance(item, AppointmentRequest):
        return _problems_of(item)
    problems = _problems_of(check_free_text(item))
    who = _who(checks.viewer, item.patient)
    if who is None:
        problems.append(Problem("INVALID_INPUT", ("patient",), "Staff must name the patient."))
    calendar = checks.calendars.get(item.psychologist_id)
    if calendar is None:
        problems.append(Problem("NOT_FOUND", ("psychologistId",), "No such psychologist."))
        return problems
    duration = (
        calendar.psychologist.default_duration_minutes
        if item.duration_minutes is None
        else item.duration_minutes
    )
    problems.extend(
        problem_of(violation)
        for violation in check_request(
            calendar=calendar,
            starts_at=item.scheduled_at,
            duration_minutes=duration,
            now=checks.now,
            policy=checks.policy,
            appointment_type=item.appointment_type,
        )
    )
    if problems or who is None:
        return problems
    return Submission(
        appointment=_requested(item, calendar, duration, checks),
        patient=who,
        idempotency=idempotency_of(item, checks),
    )


def idempotency_of(item: RequestItem, checks: ItemChecks) -> Idempotency | None:
    """The key and fingerprint of a request that names a usable key, whatever else it asks
    (so that a replay is answered before the request is checked again); None without one."""
    if not isinstance(item, AppointmentRequest) or not item.idempotency_key:
        return None
    if any(p.path == ("idempotencyKey",) for p in check_free_text(item)):
        return None
    calendar = checks.calendars.get(item.psychologist_id)
    if calendar is None:
        return None
    duration = (
        calendar.psychologist.default_duration_minutes
        if item.duration_minutes is None
        else item.duration_minutes
    )
    return Idempotency(checks.viewer.subject, item.idempotency_key, fingerprint(item, duration))


def _requested(
    item: AppointmentRequest, calendar: Calendar, duration: int, checks: ItemChecks
) -> Appointment:
    psychologist, settings = calendar.psychologist, calendar.settings
    return Appointment(
        id=checks.new_id(),
        patient_id=UUID(int=0),
        psychologist_id=psychologist.id,
        scheduled_at=item.scheduled_at,
        duration_minutes=duration,
        appointment_type=item.appointment_type,
        meeting_type=item.meeting_type,
        consultation_fee=settings.fee_for(item.appointment_type, psychologist.consultation_fee),
        status=AppointmentStatus.PENDING,
        version=1,
        created_at=checks.now,
        updated_at=checks.now,
        notes=item.notes,
        request_id=checks.request_id,
        buffer_before_minutes=settings.buffer_before // timedelta(minutes=1),
        buffer_after_minutes=settings.buffer_after // timedelta(minutes=1),
    )


def fingerprint(request: AppointmentRequest, duration: int) -> str:
    profile = request.patient
    canonical = orjson.dumps(
        [
            str(request.psychologist_id),
            request.scheduled_at.isoformat(),
            duration,
            request.appointment_type.value,
            request.meeting_type.value,
            request.notes,
            [profile.name, normal_email(profile.email), profile.phone] if profile else None,
        ]
    )
    return hashlib.sha256(canonical).hexdigest()


def _problems_of(found: list[InputProblem]) -> list[Problem]:
    return [Problem("INVALID_INPUT", p.path, p.message) for p in found]


def _who(viewer: Viewer, profile: PatientProfile | None) -> Who | None:
    if viewer.role is Role.PATIENT:
        return PatientBySubject(viewer.subject, profile)
    if profile is not None:
        return PatientByEmail(profile)
    return None
