"""The practice's booking window and session lengths, the defaults every psychologist starts from."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    min_notice: timedelta = timedelta(hours=24)
    max_advance: timedelta = timedelta(days=180)
    min_duration_minutes: int = 15
    max_duration_minutes: int = 240
    # Requests of one patient still waiting for a decision; more are refused.
    max_pending_per_patient: int = 100
    # How long an idempotency key answers with its first request; later it is free again.
    idempotency_ttl: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.min_notice < timedelta(0) or self.max_advance < self.min_notice:
            raise ValueError("booking policy needs 0 <= min_notice <= max_advance")
        if not 1 <= self.min_duration_minutes <= self.max_duration_minutes:
            raise ValueError("booking policy needs 1 <= min_duration <= max_duration")
        if self.max_pending_per_patient < 1 or self.idempotency_ttl <= timedelta(0):
            raise ValueError("booking policy needs a pending cap and a key lifetime above 0")

    def allows_duration(self, minutes: int) -> bool:
        return self.min_duration_minutes <= minutes <= self.max_duration_minutes

    def earliest_start(self, now: datetime) -> datetime:
        return now + self.min_notice

    def latest_start(self, now: datetime) -> datetime:
        return now + self.max_advance
