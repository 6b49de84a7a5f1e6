"""The flood guard's counters: kept in memory, swept of expired ones once a second."""

import threading
import time

import pytest

from appointment_api.flood_guard import SWEEP_SECONDS, SweptMemoryStorage, flood_guard
from infra.config import Settings


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The intervals of the sweeping timers started."""
    started: list[float] = []

    class Recorded(threading.Timer):
        def start(self) -> None:
            started.append(self.interval)

    monkeypatch.setattr(threading, "Timer", Recorded)
    return started


def test_a_hit_schedules_the_sweep_a_second_later_not_ten_milliseconds(
    timers: list[float],
) -> None:
    storage = SweptMemoryStorage()
    timers.clear()
    storage.incr("flood/127.0.0.1", 60)
    assert timers == [SWEEP_SECONDS]


def test_a_counter_past_its_window_starts_again_without_a_sweep() -> None:
    storage = SweptMemoryStorage()
    assert storage.incr("flood/127.0.0.1", 60) == 1
    assert storage.incr("flood/127.0.0.1", 60) == 2
    storage.expirations["flood/127.0.0.1"] = time.time() - 1

    assert storage.get("flood/127.0.0.1") == 0
    assert storage.incr("flood/127.0.0.1", 60) == 1


def test_the_flood_guard_counts_in_the_swept_storage() -> None:
    limiter = flood_guard(Settings(jwt_secret="x" * 48))
    assert isinstance(limiter._storage, SweptMemoryStorage)
