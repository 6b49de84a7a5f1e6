"""The use cases as the composition root builds them, on a test's own engine and clock."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from application.changes import Announcement, ScheduleChange, StatusChange
from appointment_api.bootstrap import UseCases, build_use_cases
from builders import NOW
from domain.policy import BookingPolicy


class Clock:
    """A clock that reads what the test set."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Published:
    """A LiveUpdates that keeps what it was given, in order."""

    def __init__(self) -> None:
        self.changes: list[StatusChange] = []
        self.schedules: list[ScheduleChange] = []

    async def publish(self, change: Announcement) -> None:
        if isinstance(change, StatusChange):
            self.changes.append(change)
        else:
            self.schedules.append(change)


def use_cases_on(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] | None = None,
    policy: BookingPolicy | None = None,
    live: Published | None = None,
) -> UseCases:
    return build_use_cases(
        engine,
        clock=clock or Clock(),
        policy=policy or BookingPolicy(),
        live=live or Published(),
    )
