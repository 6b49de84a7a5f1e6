"""Inputs and payloads of the practice's mutations: psychologists, their calendars and
settings, and patients' profiles. Expected failures are ``userErrors``."""

from datetime import date, datetime, time
from decimal import Decimal

import strawberry

import resolvers.types.enums  # noqa: F401 - registers the enums with strawberry
from domain.appointments import AppointmentType
from domain.schedule import Weekday, WorkingHours
from resolvers.types.calendar_types import (
    BookingSettingsType,
    ExtraHoursType,
    TimeOffType,
    WeeklyHoursType,
)
from resolvers.types.entities import Appointment, Patient, Psychologist
from resolvers.types.mutation_types import UserError


@strawberry.input(name="WorkingHoursInput", description="One range of a weekday, local time.")
class WorkingHoursInput:
    weekday: Weekday
    start_time: time = strawberry.field(description='e.g. "09:00"')
    end_time: time


def hours_of(ranges: list[WorkingHoursInput]) -> tuple[WorkingHours, ...] | int:
    """The ranges, or the index of the first that does not end after it starts."""
    parsed = []
    for index, item in enumerate(ranges):
        if item.end_time <= item.start_time:
            return index
        parsed.append(WorkingHours(Weekday(item.weekday), item.start_time, item.end_time))
    return tuple(parsed)


@strawberry.input(name="CreatePsychologistInput")
class CreatePsychologistInput:
    name: str
    email: str
    time_zone: str = strawberry.field(description="IANA name, e.g. America/Sao_Paulo.")
    working_hours: list[WorkingHoursInput]
    default_duration_minutes: int = 50
    consultation_fee: Decimal = Decimal("0.00")
    specialties: list[str] = strawberry.field(default_factory=list)
    languages: list[str] = strawberry.field(default_factory=list)
    bio: str | None = None
    subject: str | None = strawberry.field(
        default=None, description="The JWT subject that logs in as this psychologist."
    )


@strawberry.input(
    name="UpdatePsychologistInput",
    description="Fields left out stay as they are. subject and active: admins only.",
)
class UpdatePsychologistInput:
    psychologist_id: strawberry.ID
    name: str | None = None
    email: str | None = None
    time_zone: str | None = None
    default_duration_minutes: int | None = None
    consultation_fee: Decimal | None = None
    specialties: list[str] | None = None
    languages: list[str] | None = None
    bio: str | None = strawberry.field(default=None, description='"" clears it.')
    subject: str | None = None
    active: bool | None = None


@strawberry.input(name="PsychologistIdInput")
class PsychologistIdInput:
    psychologist_id: strawberry.ID


@strawberry.type(name="PsychologistPayload")
class PsychologistPayload:
    psychologist: Psychologist | None
    user_errors: list[UserError]


@strawberry.input(name="SetWeeklyHoursInput")
class SetWeeklyHoursInput:
    psychologist_id: strawberry.ID
    hours: list[WorkingHoursInput]
    effective_from: date | None = strawberry.field(
        default=None,
        description="From this date on, in the psychologist's zone (today or later); "
        "default today. Earlier weeks keep the template they had.",
    )


@strawberry.type(name="WeeklyHoursPayload")
class WeeklyHoursPayload:
    weekly_hours: WeeklyHoursType | None
    user_errors: list[UserError]


@strawberry.input(
    name="AddTimeOffInput",
    description="Either startsAt and endsAt, or startDate and endDate (whole days in the "
    "psychologist's zone, both included).",
)
class AddTimeOffInput:
    psychologist_id: strawberry.ID
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    reason: str | None = strawberry.field(default=None, description="Seen by staff only.")
    cancel_conflicts: bool = strawberry.field(
        default=False,
        description="Cancel the PENDING and CONFIRMED sessions the time off covers (each "
        "as cancelAppointment would). Without it, such a time off is refused and the "
        "sessions are listed in conflicts.",
    )
    cancellation_reason: str | None = strawberry.field(
        default=None, description="The reason each cancelled session is given."
    )


@strawberry.type(name="AddTimeOffPayload")
class AddTimeOffPayload:
    time_off: TimeOffType | None
    conflicts: list[Appointment] = strawberry.field(
        description="The PENDING and CONFIRMED sessions in the period."
    )
    cancelled: list[Appointment] = strawberry.field(
        description="Those cancelled for it (with cancelConflicts)."
    )
    user_errors: list[UserError]


@strawberry.input(name="RemoveTimeOffInput")
class RemoveTimeOffInput:
    psychologist_id: strawberry.ID
    time_off_id: strawberry.ID


@strawberry.type(name="TimeOffPayload")
class TimeOffPayload:
    time_off: TimeOffType | None
    user_errors: list[UserError]


@strawberry.input(name="AddExtraHoursInput")
class AddExtraHoursInput:
    psychologist_id: strawberry.ID
    date: date
    start_time: time
    end_time: time


@strawberry.input(name="RemoveExtraHoursInput")
class RemoveExtraHoursInput:
    psychologist_id: strawberry.ID
    extra_hours_id: strawberry.ID


@strawberry.type(name="ExtraHoursPayload")
class ExtraHoursPayload:
    extra_hours: ExtraHoursType | None
    user_errors: list[UserError]


@strawberry.input(name="AppointmentTypeFeeInput")
class AppointmentTypeFeeInput:
    appointment_type: AppointmentType
    fee: Decimal


@strawberry.input(
    name="SetBookingSettingsInput",
    description="Replaces every setting; what is left out goes back to the practice's default.",
)
class SetBookingSettingsInput:
    psychologist_id: strawberry.ID
    min_notice_minutes: int | None = None
    max_advance_days: int | None = None
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    session_durations: list[int] = strawberry.field(
        default_factory=list, description="Empty: any duration the practice allows."
    )
    appointment_types: list[AppointmentTypeFeeInput] = strawberry.field(
        default_factory=list, description="Empty: every type at the consultation fee."
    )
    max_sessions_per_day: int | None = None


@strawberry.type(name="BookingSettingsPayload")
class BookingSettingsPayload:
    booking_settings: BookingSettingsType | None
    user_errors: list[UserError]


@strawberry.input(
    name="UpdateMyProfileInput",
    description='Fields left out stay as they are; "" clears phone and timeZone.',
)
class UpdateMyProfileInput:
    name: str | None = None
    phone: str | None = None
    time_zone: str | None = None


@strawberry.input(name="CreatePatientInput")
class CreatePatientInput:
    name: str
    email: str
    phone: str | None = None
    time_zone: str | None = None
    subject: str | None = strawberry.field(
        default=None, description="The JWT subject that logs in as this patient."
    )


@strawberry.type(name="PatientPayload")
class PatientPayload:
    patient: Patient | None
    user_errors: list[UserError]
