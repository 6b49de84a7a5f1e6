"""How a psychologist takes bookings: notice, advance, buffers, what they offer, how many a day."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain.appointments import AppointmentType
from domain.schedule import Interval

MAX_BUFFER = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class Offering:
    """An appointment type the psychologist offers, at its fee."""

    appointment_type: AppointmentType
    fee: Decimal


@dataclass(frozen=True, slots=True)
class BookingSettings:
    """A psychologist's own rules. ``None`` (and an empty tuple) leave the practice's default:
    the global notice and advance, every duration the policy allows, every type at the
    consultation fee, no daily limit."""

    min_notice: timedelta | None = None
    max_advance: timedelta | None = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    durations: tuple[int, ...] = ()
    offerings: tuple[Offering, ...] = ()
    max_sessions_per_day: int | None = None

    def __post_init__(self) -> None:
        for buffer in (self.buffer_before, self.buffer_after):
            if not timedelta(0) <= buffer <= MAX_BUFFER:
                raise ValueError("a buffer lasts from 0 to 4 hours")
        if self.max_sessions_per_day is not None and self.max_sessions_per_day < 1:
            raise ValueError("a daily limit allows at least one session")

    def blocked(self, session: Interval) -> Interval:
        """The time a session holds on the schedule: itself and its buffers."""
        return Interval(session.start - self.buffer_before, session.end + self.buffer_after)

    def offers_duration(self, minutes: int) -> bool:
        return not self.durations or minutes in self.durations

    def offers(self, appointment_type: AppointmentType) -> bool:
        return not self.offerings or any(
            offering.appointment_type is appointment_type for offering in self.offerings
        )

    def fee_for(self, appointment_type: AppointmentType, default: Decimal) -> Decimal:
        for offering in self.offerings:
            if offering.appointment_type is appointment_type:
                return offering.fee
        return default
