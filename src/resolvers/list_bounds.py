"""How many items each plain list of this schema may hold, for the static cost.

A connection's page comes from ``first``/``last``; a plain list (``[T!]!``) has no such
argument, so its bound comes from the rules that fill it: the status machine for an
appointment's history, the profile's limits for working hours, the window and the step
for free slots. A list of objects then costs its bound times the cost of one item, as a
connection does; a list of scalars comes with its row and costs nothing.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

from domain.appointments import AppointmentType
from domain.profiles import MAX_RANGES_A_WEEK

Arguments = Mapping[str, object]
Bound = Callable[[Arguments], int]

# PENDING, then CONFIRMED or REJECTED, then CANCELLED, COMPLETED or NO_SHOW: the longest
# path through the status machine has three states, each one event.
MAX_HISTORY_EVENTS = 3
DEFAULT_STEP_MINUTES = 15
MIN_STEP_MINUTES = 5
# The lists nothing bounds by rule (weekly templates, time off, extra hours, the conflicts a
# time off found) are priced at this many items, or at one per day of their window.
ESTIMATED_ITEMS = 10
MAX_LISTING_DAYS = 366
# One free slot is one candidate start checked against the calendar: cheap alone, so a
# point buys this many of them (the price of one TimeSlot object is what it selects).
SLOTS_PER_POINT = 5


def window_minutes(arguments: Arguments, *, maximum_days: int) -> int:
    """The minutes between ``from`` and ``to``; the most the field allows when they are not
    both readable (the field refuses such a window anyway)."""
    longest = maximum_days * 24 * 60
    start, end = _instant(arguments.get("from")), _instant(arguments.get("to"))
    if start is None or end is None:
        return longest
    try:
        span = end - start
    except TypeError:  # one naive, one aware
        return longest
    return max(0, min(longest, ceil(span / timedelta(minutes=1))))


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(arguments: Arguments, name: str, default: int) -> int:
    value = arguments.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return default


@dataclass(frozen=True)
class ListBounds:
    """``max_slot_window_days``: the longest window ``availableSlots`` accepts."""

    max_slot_window_days: int = 31
    default: int = ESTIMATED_ITEMS
    extra: Mapping[str, Bound] = field(default_factory=dict)

    def slots(self, arguments: Arguments) -> int:
        """Every candidate start in the window, at the step asked for, priced in points."""
        step = max(MIN_STEP_MINUTES, _int(arguments, "stepMinutes", DEFAULT_STEP_MINUTES))
        minutes = window_minutes(arguments, maximum_days=self.max_slot_window_days)
        return ceil(ceil(minutes / step) / SLOTS_PER_POINT)

    def by_days(self, arguments: Arguments) -> int:
        minutes = window_minutes(arguments, maximum_days=MAX_LISTING_DAYS)
        return max(1, ceil(minutes / (24 * 60)) + 1)

    def known(self) -> dict[str, Bound]:
        """By ``Type.field``."""
        return {
            "Appointment.history": lambda _: MAX_HISTORY_EVENTS,
            # One day may hold every range of a week.
            "Psychologist.workingHours": lambda _: MAX_RANGES_A_WEEK,
            "WeeklyHours.hours": lambda _: MAX_RANGES_A_WEEK,
            "Psychologist.availableSlots": self.slots,
            "AvailableSlotsUpdate.slots": self.slots,
            "Psychologist.timeOff": self.by_days,
            "Psychologist.extraHours": self.by_days,
            "BookingSettings.appointmentTypes": lambda _: len(AppointmentType),
            **self.extra,
        }

    def resolver(self) -> "Callable[[str, str, Arguments], int]":
        known = self.known()

        def bound(type_name: str, field_name: str, arguments: Arguments) -> int:
            found = known.get(f"{type_name}.{field_name}")
            return self.default if found is None else max(0, found(arguments))

        return bound
