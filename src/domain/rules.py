"""The booking rules: checked by the API for fast feedback, decided by the worker.

Pure functions of their arguments; the clock comes in as ``now`` (aware, UTC).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.appointments import RejectionReason
from domain.people import Psychologist
from domain.schedule import Interval, WallClockSpan, WorkingHours, wall_clock, wall_clock_spans

SCHEDULED_AT = "scheduledAt"
DURATION_MINUTES = "durationMinutes"
PSYCHOLOGIST_ID = "psychologistId"


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    min_notice: timedelta = timedelta(hours=24)
    max_advance: timedelta = timedelta(days=180)
    min_duration_minutes: int = 15
    max_duration_minutes: int = 240

    def __post_init__(self) -> None:
        if self.min_notice < timedelta(0) or self.max_advance < self.min_notice:
            raise ValueError("booking policy needs 0 <= min_notice <= max_advance")
        if not 1 <= self.min_duration_minutes <= self.max_duration_minutes:
            raise ValueError("booking policy needs 1 <= min_duration <= max_duration")

    def allows_duration(self, minutes: int) -> bool:
        return self.min_duration_minutes <= minutes <= self.max_duration_minutes

    def earliest_start(self, now: datetime) -> datetime:
        return now + self.min_notice

    def latest_start(self, now: datetime) -> datetime:
        return now + self.max_advance


class RuleCode(StrEnum):
    IN_THE_PAST = "IN_THE_PAST"
    TOO_SOON = "TOO_SOON"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    NOT_WHOLE_MINUTE = "NOT_WHOLE_MINUTE"
    INVALID_DURATION = "INVALID_DURATION"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    SLOT_TAKEN = "SLOT_TAKEN"
    PATIENT_CONFLICT = "PATIENT_CONFLICT"
    PSYCHOLOGIST_UNAVAILABLE = "PSYCHOLOGIST_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class RuleViolation:
    code: RuleCode
    field: str
    message: str


def within_working_hours(psychologist: Psychologist, interval: Interval) -> bool:
    """Whether one working-hours range of the local date the interval starts on holds it all.

    Every wall-clock reading the interval passes through, in the psychologist's zone,
    must fall inside that one range, so a session may not cross the end of a range
    nor the end of the day, and across a DST change it is the local clock that counts.
    """
    zone = ZoneInfo(psychologist.time_zone)
    day = wall_clock(interval.start, zone).date()
    spans = wall_clock_spans(interval, zone)
    return any(
        _holds(hours, day, spans)
        for hours in psychologist.working_hours
        if hours.weekday == day.weekday()
    )


def _holds(hours: WorkingHours, day: date, spans: list[WallClockSpan]) -> bool:
    opens, closes = datetime.combine(day, hours.start), datetime.combine(day, hours.end)
    return all(opens <= span.start and span.end <= closes for span in spans)


def check_request(
    *,
    psychologist: Psychologist,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    policy: BookingPolicy,
) -> list[RuleViolation]:
    """Every rule the request breaks that needs no other appointment to decide.

    At most one timing violation is reported: IN_THE_PAST, else TOO_SOON, else
    TOO_FAR_AHEAD. Working hours are checked only for a valid duration.
    """
    _require_aware(starts_at=starts_at, now=now)
    found = [
        _unavailable(psychologist),
        _invalid_duration(duration_minutes, policy),
        _not_whole_minute(starts_at),
        _badly_timed(starts_at, now, policy),
        _outside_working_hours(psychologist, starts_at, duration_minutes, policy),
    ]
    return [violation for violation in found if violation is not None]


def check_conflicts(
    *,
    interval: Interval,
    psychologist_busy: Iterable[Interval],
    patient_busy: Iterable[Interval],
) -> list[RuleViolation]:
    """SLOT_TAKEN and PATIENT_CONFLICT, for busy intervals the interval overlaps."""
    found = []
    if any(interval.overlaps(busy) for busy in psychologist_busy):
        found.append(RuleViolation(RuleCode.SLOT_TAKEN, SCHEDULED_AT, _SLOT_TAKEN))
    if any(interval.overlaps(busy) for busy in patient_busy):
        found.append(RuleViolation(RuleCode.PATIENT_CONFLICT, SCHEDULED_AT, _PATIENT_CONFLICT))
    return found


def decide(
    *,
    psychologist: Psychologist,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    policy: BookingPolicy,
    psychologist_busy: Iterable[Interval],
    patient_busy: Iterable[Interval],
) -> RejectionReason | None:
    """The worker's verdict: None to confirm, else the first reason in ``DECISION_ORDER``."""
    found = check_request(
        psychologist=psychologist,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        now=now,
        policy=policy,
    )
    # Every static reason comes before the conflict ones, and a request that breaks a
    # static rule may not even make an interval, so conflicts wait until those pass.
    if not found:
        found = check_conflicts(
            interval=_session(starts_at, duration_minutes),
            psychologist_busy=psychologist_busy,
            patient_busy=patient_busy,
        )
    reasons = {REJECTION_FOR[violation.code] for violation in found}
    return next((reason for reason in DECISION_ORDER if reason in reasons), None)


DECISION_ORDER = (
    RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    RejectionReason.TOO_SOON,
    RejectionReason.OUTSIDE_WORKING_HOURS,
    RejectionReason.SLOT_TAKEN,
    RejectionReason.PATIENT_CONFLICT,
)

REJECTION_FOR: dict[RuleCode, RejectionReason] = {
    RuleCode.PSYCHOLOGIST_UNAVAILABLE: RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    # The contract has no TOO_FAR_AHEAD reason. Time only moves forward, so this can
    # newly fail in the worker only when the policy shrank after the request was
    # accepted: the psychologist no longer takes bookings that far out.
    RuleCode.TOO_FAR_AHEAD: RejectionReason.PSYCHOLOGIST_UNAVAILABLE,
    RuleCode.IN_THE_PAST: RejectionReason.TOO_SOON,
    RuleCode.TOO_SOON: RejectionReason.TOO_SOON,
    # The API refuses these up front. Should one reach the worker, the session cannot
    # be placed on the psychologist's schedule as asked, which is what this reason says.
    RuleCode.INVALID_DURATION: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.NOT_WHOLE_MINUTE: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.OUTSIDE_WORKING_HOURS: RejectionReason.OUTSIDE_WORKING_HOURS,
    RuleCode.SLOT_TAKEN: RejectionReason.SLOT_TAKEN,
    RuleCode.PATIENT_CONFLICT: RejectionReason.PATIENT_CONFLICT,
}

_SLOT_TAKEN = "The psychologist already has an appointment at that time."
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


def _outside_working_hours(
    psychologist: Psychologist, starts_at: datetime, minutes: int, policy: BookingPolicy
) -> RuleViolation | None:
    if not policy.allows_duration(minutes):
        return None
    if within_working_hours(psychologist, _session(starts_at, minutes)):
        return None
    return RuleViolation(
        RuleCode.OUTSIDE_WORKING_HOURS,
        SCHEDULED_AT,
        "The session is outside the psychologist's working hours.",
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
