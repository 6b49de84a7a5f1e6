"""The booking rules: checked by the API for fast feedback, decided by the worker, and the
same ones that decide which slots are offered (``domain.availability``).

Pure functions of their arguments; the clock comes in as ``now`` (aware, UTC).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.appointments import AppointmentType, RejectionReason
from domain.bookings import Booked, Bookings
from domain.calendar import Calendar
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.schedule import Interval

SCHEDULED_AT = "scheduledAt"
DURATION_MINUTES = "durationMinutes"
PSYCHOLOGIST_ID = "psychologistId"
APPOINTMENT_TYPE = "appointmentType"


class RuleCode(StrEnum):
    IN_THE_PAST = "IN_THE_PAST"
    TOO_SOON = "TOO_SOON"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    NOT_WHOLE_MINUTE = "NOT_WHOLE_MINUTE"
    INVALID_DURATION = "INVALID_DURATION"
    DURATION_NOT_OFFERED = "DURATION_NOT_OFFERED"
    APPOINTMENT_TYPE_NOT_OFFERED = "APPOINTMENT_TYPE_NOT_OFFERED"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    TIME_OFF = "TIME_OFF"
    SLOT_TAKEN = "SLOT_TAKEN"
    DAILY_LIMIT_REACHED = "DAILY_LIMIT_REACHED"
    PATIENT_CONFLICT = "PATIENT_CONFLICT"
    PSYCHOLOGIST_UNAVAILABLE = "PSYCHOLOGIST_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class RuleViolation:
    code: RuleCode
    field: str
    message: str


def within_working_hours(psychologist: Psychologist, interval: Interval) -> bool:
    """Whether the psychologist's weekly hours hold the interval (see ``Calendar.holds``)."""
    return Calendar(psychologist).holds(interval)


def check_request(
    *,
    calendar: Calendar,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    policy: BookingPolicy,
    appointment_type: AppointmentType | None = None,
) -> list[RuleViolation]:
    """Every rule the request breaks that needs no other appointment to decide.

    ``policy`` is the practice's; the calendar's settings refine it. At most one timing
    violation is reported: IN_THE_PAST, else TOO_SOON, else TOO_FAR_AHEAD. Working hours
    and time off are checked only for a valid duration. Without ``appointment_type`` the
    type is not checked (a listing of slots for any type).
    """
    _require_aware(starts_at=starts_at, now=now)
    in_force = calendar.policy(policy)
    valid_length = in_force.allows_duration(duration_minutes)
    found = [
        _unavailable(calendar.psychologist),
        _invalid_duration(duration_minutes, in_force),
        _duration_not_offered(calendar, duration_minutes) if valid_length else None,
        _type_not_offered(calendar, appointment_type),
        _not_whole_minute(starts_at),
        _badly_timed(starts_at, now, in_force),
    ]
    if valid_length:
        session = _session(starts_at, duration_minutes)
        found += [_outside_working_hours(calendar, session), _on_time_off(calendar, session)]
    return [violation for violation in found if violation is not None]


def check_conflicts(
    *,
    calendar: Calendar,
    interval: Interval,
    psychologist_busy: Iterable[Booked] | Bookings,
    patient_busy: Iterable[Interval],
) -> list[RuleViolation]:
    """SLOT_TAKEN when the session with its buffers meets another's held time,
    DAILY_LIMIT_REACHED when its local date is full, PATIENT_CONFLICT when the patient
    is busy then."""
    booked = (
        psychologist_busy
        if isinstance(psychologist_busy, Bookings)
        else Bookings(psychologist_busy, calendar.zone)
    )
    found = []
    if booked.overlaps(calendar.settings.blocked(interval)):
        found.append(RuleViolation(RuleCode.SLOT_TAKEN, SCHEDULED_AT, _SLOT_TAKEN))
    if day_is_full(calendar, booked, interval.start):
        found.append(RuleViolation(RuleCode.DAILY_LIMIT_REACHED, SCHEDULED_AT, _DAY_FULL))
    if any(interval.overlaps(busy) for busy in patient_busy):
        found.append(RuleViolation(RuleCode.PATIENT_CONFLICT, SCHEDULED_AT, _PATIENT_CONFLICT))
    return found


def day_is_full(calendar: Calendar, booked: Bookings, starts_at: datetime) -> bool:
    limit = calendar.settings.max_sessions_per_day
    return limit is not None and booked.on(calendar.local_date(starts_at)) >= limit


def decide(
    *,
    calendar: Calendar,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    policy: BookingPolicy,
    psychologist_busy: Iterable[Booked] | Bookings,
    patient_busy: Iterable[Interval],
    appointment_type: AppointmentType | None = None,
) -> RejectionReason | None:
    """The worker's verdict: None to confirm, else the first reason in ``DECISION_ORDER``."""
    found = check_request(
        calendar=calendar,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        now=now,
        policy=policy,
        appointment_type=appointment_type,
    )
    # Every static reason comes before the conflict ones, and a request that breaks a
    # static rule may not even make an interval, so conflicts wait until those pass.
    if not found:
        found = check_conflicts(
            calendar=calendar,
            interval=_session(starts_at, duration_minutes),
            psychologist_busy=psychologist_busy,
            patient_busy=patient_busy,
        )
    reasons = {REJECTION_FOR[violation.code] for violation in found}
    return next((reason for reason in DECISION_ORDER if reason in reasons), None)


DECISION_ORDER = (
    RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    RejectionReason.TOO_SOON,
    RejectionReason.TOO_FAR_AHEAD,
    RejectionReason.DURATION_NOT_OFFERED,
    RejectionReason.APPOINTMENT_TYPE_NOT_OFFERED,
    RejectionReason.OUTSIDE_WORKING_HOURS,
    RejectionReason.SLOT_TAKEN,
    RejectionReason.DAILY_LIMIT_REACHED,
    RejectionReason.PATIENT_CONFLICT,
)

REJECTION_FOR: dict[RuleCode, RejectionReason] = {
    RuleCode.PSYCHOLOGIST_UNAVAILABLE: RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    # The contract's words for this reason: "inactive or on time off".
    RuleCode.TIME_OFF: RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    # Time only moves forward, so this can newly fail in the worker only when the
    # psychologist shortened their advance after the request was accepted.
    RuleCode.TOO_FAR_AHEAD: RejectionReason.TOO_FAR_AHEAD,
    RuleCode.IN_THE_PAST: RejectionReason.TOO_SOON,
    RuleCode.TOO_SOON: RejectionReason.TOO_SOON,
    RuleCode.DURATION_NOT_OFFERED: RejectionReason.DURATION_NOT_OFFERED,
    RuleCode.APPOINTMENT_TYPE_NOT_OFFERED: RejectionReason.APPOINTMENT_TYPE_NOT_OFFERED,
    # The API refuses these up front. Should one reach the worker, the session cannot
    # be placed on the psychologist's schedule as asked, which is what this reason says.
    RuleCode.INVALID_DURATION: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.NOT_WHOLE_MINUTE: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.OUTSIDE_WORKING_HOURS: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.SLOT_TAKEN: RejectionReason.SLOT_TAKEN,
    RuleCode.DAILY_LIMIT_REACHED: RejectionReason.DAILY_LIMIT_REACHED,
    RuleCode.PATIENT_CONFLICT: RejectionReason.PATIENT_CONFLICT,
}

_SLOT_TAKEN = "The psychologist already has an appointment at that time."
_DAY_FULL = "The psychologist takes no more sessions that day."
_PATIENT_CONFLICT = "The patient already has an appointment at that time."


def _unavailable(psychologist: Psychologist) -> RuleViolation | None:
    if psychologist.active:
        return None
    return RuleViolation(
        RuleCode.PSYCHOLOGIST_UNAVAILABLE,
        PSYCHOLOGIST_ID,
        "This psychologist is not accepting appointments.",
    )


def _invalid_duration(minutes: int, policy: BookingPolicy) -> RuleViolation | None:
    if policy.allows_duration(minutes):
        return None
    return RuleViolation(
        RuleCode.INVALID_DURATION,
        DURATION_MINUTES,
        f"A session lasts from {policy.min_duration_minutes}"
        f" to {policy.max_duration_minutes} minutes.",
    )


def _duration_not_offered(calendar: Calendar, minutes: int) -> RuleViolation | None:
    offered = calendar.settings.durations
    if calendar.settings.offers_duration(minutes):
        return None
    listed = ", ".join(str(m) for m in sorted(offered))
    return RuleViolation(
        RuleCode.DURATION_NOT_OFFERED,
        DURATION_MINUTES,
        f"This psychologist offers sessions of {listed} minutes.",
    )


def _type_not_offered(
    calendar: Calendar, appointment_type: AppointmentType | None
) -> RuleViolation | None:
    if appointment_type is None or calendar.settings.offers(appointment_type):
        return None
    return RuleViolation(
        RuleCode.APPOINTMENT_TYPE_NOT_OFFERED,
        APPOINTMENT_TYPE,
        "This psychologist does not offer this type of appointment.",
    )


def _not_whole_minute(starts_at: datetime) -> RuleViolation | None:
    in_utc = starts_at.astimezone(UTC)
    if in_utc.second == 0 and in_utc.microsecond == 0:
        return None
    return RuleViolation(
        RuleCode.NOT_WHOLE_MINUTE, SCHEDULED_AT, "The start time must be a whole minute."
    )


def _badly_timed(starts_at: datetime, now: datetime, policy: BookingPolicy) -> RuleViolation | None:
    if starts_at < now:
        return RuleViolation(RuleCode.IN_THE_PAST, SCHEDULED_AT, "The start time is in the past.")
    if starts_at < policy.earliest_start(now):
        return RuleViolation(
            RuleCode.TOO_SOON,
            SCHEDULED_AT,
            f"Sessions must be booked at least {_in_words(policy.min_notice)} ahead.",
        )
    if starts_at > policy.latest_start(now):
        return RuleViolation(
            RuleCode.TOO_FAR_AHEAD,
            SCHEDULED_AT,
            f"Sessions can be booked at most {_in_words(policy.max_advance)} ahead.",
        )
    return None


def _outside_working_hours(calendar: Calendar, session: Interval) -> RuleViolation | None:
    if calendar.holds(session):
        return None
    return RuleViolation(
        RuleCode.OUTSIDE_WORKING_HOURS,
        SCHEDULED_AT,
        "The session is outside the psychologist's working hours.",
    )


def _on_time_off(calendar: Calendar, session: Interval) -> RuleViolation | None:
    if not calendar.off_during(session):
        return None
    return RuleViolation(
        RuleCode.TIME_OFF, SCHEDULED_AT, "The psychologist is not available at that time."
    )


def _session(starts_at: datetime, minutes: int) -> Interval:
    return Interval(starts_at, starts_at + timedelta(minutes=minutes))


def _require_aware(**moments: datetime) -> None:
    for name, moment in moments.items():
        if moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")


def _in_words(span: timedelta) -> str:
    if span >= timedelta(days=2) and span % timedelta(days=1) == timedelta(0):
        return _counted(span.days, "day")
    if span % timedelta(hours=1) == timedelta(0):
        return _counted(span // timedelta(hours=1), "hour")
    return _counted(span // timedelta(minutes=1), "minute")


def _counted(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
