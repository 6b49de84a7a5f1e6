import itertools
from datetime import timedelta

from domain.webhook_retries import (
    JITTER,
    MAX_ATTEMPTS,
    nominal_delay,
    retry_delay,
    whole_schedule,
)


def test_delays_grow_exponentially_up_to_a_ceiling():
    delays = [nominal_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert delays[0] == timedelta(seconds=15)
    assert delays[1] == timedelta(seconds=45)
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert max(delays) == timedelta(hours=6)


def test_retries_last_about_a_day_whatever_the_jitter():
    shortest = sum(
        (retry_delay(n, 0.0) or timedelta() for n in range(1, MAX_ATTEMPTS)), timedelta()
    )
    longest = sum(
        (retry_delay(n, 0.999999) or timedelta() for n in range(1, MAX_ATTEMPTS)), timedelta()
    )
    assert timedelta(hours=17) < shortest < whole_schedule() < longest < timedelta(hours=28)
    assert timedelta(hours=20) < whole_schedule() < timedelta(hours=25)


def test_jitter_spreads_a_delay_around_its_nominal_value():
    low, high = retry_delay(3, 0.0), retry_delay(3, 0.999999)
    assert low == nominal_delay(3) * (1 - JITTER)
    assert high is not None
    assert nominal_delay(3) < high <= nominal_delay(3) * (1 + JITTER)


def test_after_the_last_attempt_there_is_no_retry():
    assert retry_delay(MAX_ATTEMPTS - 1, 0.5) is not None
    assert retry_delay(MAX_ATTEMPTS, 0.5) is None
