"""The server's garbage collector: startup objects frozen, the young generation collected
less often than CPython's default, the older ones at the default pace."""

import gc
from collections.abc import Iterator

import pytest

from appointment_api.gc_tuning import tune_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_startup_objects_are_frozen_and_young_ones_collected_less_often() -> None:
    default_young, *older = gc.get_threshold()

    tune_garbage_collector()

    young, *tuned_older = gc.get_threshold()
    assert young > 10 * default_young
    assert tuned_older == older
    assert gc.get_freeze_count() > 0
