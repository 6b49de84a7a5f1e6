"""Checks of what the practice's staff and patients write about themselves: profiles,
weekly hours, booking settings. Each problem names the input field it is about."""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.booking_settings import MAX_BUFFER, BookingSettings
from domain.people import Patient, Psychologist
from domain.policy import BookingPolicy
from domain.requests import E164, EMAIL, MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, InputProblem
from domain.schedule import WorkingHours

MAX_BIO_LENGTH = 2000
MAX_TAGS = 20
MAX_TAG_LENGTH = 60
MAX_RANGES_A_WEEK = 42
MAX_FEE = Decimal("99999999.99")
MAX_DURATIONS = 12
MAX_SESSIONS_PER_DAY = 48
MAX_NOTICE = timedelta(days=30)
MAX_ADVANCE = timedelta(days=3650)


def known_time_zone(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_psychologist(psychologist: Psychologist, policy: BookingPolicy) -> list[InputProblem]:
    found = [
        *_name(psychologist.name),
        *_email(psychologist.email),
        *_tags("specialties", psychologist.specialties),
        *_tags("languages", psychologist.languages),
        *_time_zone(psychologist.time_zone),
        *check_weekly_hours(psychologist.working_hours, ("workingHours",)),
    ]
    if psychologist.bio is not None and len(psychologist.bio) > MAX_BIO_LENGTH:
        found.append(
            InputProblem(("bio",), f"The bio may have at most {MAX_BIO_LENGTH} characters.")
        )
    if not policy.allows_duration(psychologist.default_duration_minutes):
        found.append(
            InputProblem(
                ("defaultDurationMinutes",),
                f"A session lasts from {policy.min_duration_minutes} to "
                f"{policy.max_duration_minutes} minutes.",
            )
        )
    found += _fee(psychologist.consultation_fee, ("consultationFee",))
    if psychologist.subject is not None and not 1 <= len(psychologist.subject) <= 200:
        found.append(InputProblem(("subject",), "The subject must have 1 to 200 characters."))
    return found


def check_patient(patient: Patient) -> list[InputProblem]:
    found = [*_name(patient.name), *_email(patient.email)]
    if patient.phone is not None and not E164.match(patient.phone):
        found.append(InputProblem(("phone",), "Phone must be in E.164 form, e.g. +5511999999999."))
    if patient.time_zone is not None:
        found += _time_zone(patient.time_zone)
    return found


def check_weekly_hours(
    hours: Sequence[WorkingHours], path: tuple[str, ...] = ("hours",)
) -> list[InputProblem]:
    """At most 42 ranges a week; the ranges of one weekday may touch but not overlap."""
    if len(hours) > MAX_RANGES_A_WEEK:
        return [InputProblem(path, f"At most {MAX_RANGES_A_WEEK} ranges a week.")]
    found = []
    for index, one in enumerate(hours):
        for other in hours[:index]:
            if one.weekday == other.weekday and one.start < other.end and other.start < one.end:
                found.append(
                    InputProblem((*path, str(index)), "The range overlaps another of that day.")
                )
                break
    return found


def check_settings(settings: BookingSettings, policy: BookingPolicy) -> list[InputProblem]:
    found = []
    notice, advance = settings.min_notice, settings.max_advance
    if notice is not None and not timedelta(0) <= notice <= MAX_NOTICE:
        found.append(InputProblem(("minNoticeMinutes",), "The notice is 0 to 30 days, in minutes."))
    if advance is not None and not timedelta(days=1) <= advance <= MAX_ADVANCE:
        found.append(InputProblem(("maxAdvanceDays",), "The advance is 1 to 3650 days."))
    if (notice or policy.min_notice) > (advance or policy.max_advance):
        found.append(InputProblem(("maxAdvanceDays",), "The advance must be at least the notice."))
    for name, buffer in (
        ("bufferBeforeMinutes", settings.buffer_before),
        ("bufferAfterMinutes", settings.buffer_after),
    ):
        if not timedelta(0) <= buffer <= MAX_BUFFER:
            found.append(InputProblem((name,), "A buffer lasts 0 to 240 minutes."))
    if len(settings.durations) > MAX_DURATIONS or len(set(settings.durations)) != len(
        settings.durations
    ):
        found.append(
            InputProblem(("sessionDurations",), f"At most {MAX_DURATIONS} different durations.")
        )
    for index, minutes in enumerate(settings.durations):
        if not policy.allows_duration(minutes):
            found.append(
                InputProblem(
                    ("sessionDurations", str(index)),
                    f"A session lasts from {policy.min_duration_minutes} to "
                    f"{policy.max_duration_minutes} minutes.",
                )
            )
    types = [offering.appointment_type for offering in settings.offerings]
    if len(set(types)) != len(types):
        found.append(InputProblem(("appointmentTypes",), "Each type may be listed once."))
    for index, offering in enumerate(settings.offerings):
        found += _fee(offering.fee, ("appointmentTypes", str(index), "fee"))
    limit = settings.max_sessions_per_day
    if limit is not None and not 1 <= limit <= MAX_SESSIONS_PER_DAY:
        found.append(
            InputProblem(("maxSessionsPerDay",), f"From 1 to {MAX_SESSIONS_PER_DAY} sessions.")
        )
    return found


def _name(name: str) -> list[InputProblem]:
    if 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        return []
    return [InputProblem(("name",), "Name must have 1 to 200 characters.")]


def _email(email: str) -> list[InputProblem]:
    if len(email) <= MAX_EMAIL_LENGTH and EMAIL.match(email):
        return []
    return [InputProblem(("email",), "Email is not a valid address.")]


def _time_zone(name: str) -> list[InputProblem]:
    if known_time_zone(name):
        return []
    return [InputProblem(("timeZone",), "Not an IANA time zone name, e.g. America/Sao_Paulo.")]


def _tags(field: str, tags: Sequence[str]) -> list[InputProblem]:
    if len(tags) > MAX_TAGS:
        return [InputProblem((field,), f"At most {MAX_TAGS} entries.")]
    return [
        InputProblem((field, str(index)), f"Each entry has 1 to {MAX_TAG_LENGTH} characters.")
        for index, tag in enumerate(tags)
        if not 1 <= len(tag.strip()) <= MAX_TAG_LENGTH
    ]


def _fee(fee: Decimal, path: tuple[str, ...]) -> list[InputProblem]:
    if fee.is_finite() and Decimal(0) <= fee <= MAX_FEE and fee == fee.quantize(Decimal("0.01")):
        return []
    return [InputProblem(path, "A fee is 0 or more, with at most two decimals.")]
