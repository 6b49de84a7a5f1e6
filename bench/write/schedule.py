"""The write benchmark's psychologists, and free session slots handed out once each.

Every request of a run gets a slot no earlier request had: slot ``k`` belongs to
psychologist ``k % psychologists`` (consecutive requests, and the items of a
batch, go to different psychologists, hence to different SQS message groups),
starts inside that psychologist's working hours in their own time zone,
between 3 and 170 days ahead (the rules want at least 24 hours and at most 180
days), and no two slots of one psychologist overlap. Patient ``k % patients``
books it; as ``patients`` is a multiple of ``psychologists``, a patient always
books with the same psychologist, at different times: no PATIENT_CONFLICT. So
every request is valid and every decision should be CONFIRMED.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from domain.people import Psychologist
from domain.schedule import Weekday, WorkingHours

SESSION_MINUTES = 30
FIRST_DAY_AHEAD = 3
LAST_DAY_AHEAD = 170
PATIENTS_PER_PSYCHOLOGIST = 5
ZONES = (
    "America/Sao_Paulo",
    "America/New_York",
    "Europe/Lisbon",
    "Asia/Tokyo",
    "Australia/Sydney",
)
WEEKDAY_RANGES = ((time(8), time(12)), (time(13), time(20)))
SATURDAY_RANGES = ((time(8), time(12)),)
NAMESPACE = UUID("6f1c1d1e-7a39-4b53-9d0e-2f3c4b5a6978")


def working_hours() -> tuple[WorkingHours, ...]:
    weekdays = list(Weekday)[:5]
    return tuple(
        WorkingHours(day, start, end) for day in weekdays for start, end in WEEKDAY_RANGES
    ) + tuple(WorkingHours(Weekday.SATURDAY, start, end) for start, end in SATURDAY_RANGES)


def bench_psychologists(count: int) -> list[Psychologist]:
    return [
        Psychologist(
            id=uuid5(NAMESPACE, f"psychologist-{n}"),
            subject=f"bench-psychologist-{n}",
            name=f"Bench Psychologist {n}",
            email=f"bench-psychologist-{n}@bench.example",
            specialties=("anxiety",),
            time_zone=ZONES[n % len(ZONES)],
            working_hours=working_hours(),
            default_duration_minutes=50,
            consultation_fee=Decimal("200.00"),
        )
        for n in range(count)
    ]


@dataclass(frozen=True, slots=True)
class Slot:
    psychologist_id: UUID
    starts_at: datetime
    patient: int


def _local_starts(day: date) -> list[time]:
    """Session starts of one local date, the same for every psychologist."""
    ranges = {5: SATURDAY_RANGES, 6: ()}.get(day.weekday(), WEEKDAY_RANGES)
    starts = []
    step = timedelta(minutes=SESSION_MINUTES)
    for opens, closes in ranges:
        at = datetime.combine(day, opens)
        while (at + step).time() <= closes:
            starts.append(at.time())
            at += step
    return starts


class Slots:
    """Hands out slots in order, never one twice."""

    def __init__(self, psychologists: list[Psychologist], today: date) -> None:
        self._psychologists = [(p.id, ZoneInfo(p.time_zone)) for p in psychologists]
        self._patients = len(psychologists) * PATIENTS_PER_PSYCHOLOGIST
        self._today = today
        self._source = self._all()
        self.handed_out = 0

    def take(self, count: int) -> list["Slot"]:
        taken = []
        for _ in range(count):
            try:
                taken.append(next(self._source))
            except StopIteration:
                raise ValueError(
                    f"only {self.handed_out} free slots: use more psychologists"
                ) from None
            self.handed_out += 1
        return taken

    def _all(self) -> Iterator[Slot]:
        k = 0
        for offset in range(FIRST_DAY_AHEAD, LAST_DAY_AHEAD + 1):
            day = self._today + timedelta(days=offset)
            for start in _local_starts(day):
                for psychologist_id, zone in self._psychologists:
                    at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
                    yield Slot(psychologist_id, at, k % self._patients)
                    k += 1

    @property
    def patients(self) -> int:
        return self._patients
