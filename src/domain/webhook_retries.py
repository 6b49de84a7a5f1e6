"""When a failed webhook delivery is tried again: exponential backoff with jitter, for
about a day, then given up (and its endpoint disabled)."""

from datetime import timedelta

FIRST_DELAY = timedelta(seconds=15)
FACTOR = 3
LONGEST_DELAY = timedelta(hours=6)
# The first try and ten more: about 22 hours from the first failure to the last try.
MAX_ATTEMPTS = 11
# Each delay is its nominal value times a factor drawn in [1 - JITTER, 1 + JITTER], so
# that endpoints that failed together are not all tried again in the same second.
JITTER = 0.2


def nominal_delay(failed_attempts: int) -> timedelta:
    """The wait after the ``failed_attempts``-th failure (1 for the first), before jitter."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    delay: timedelta = FIRST_DELAY * FACTOR ** (failed_attempts - 1)
    return min(delay, LONGEST_DELAY)


def retry_delay(failed_attempts: int, draw: float) -> timedelta | None:
    """The wait before the next try after ``failed_attempts`` failures, ``draw`` a uniform
    number in [0, 1); None when every attempt is spent."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    spread = 1 - JITTER + 2 * JITTER * draw
    return nominal_delay(failed_attempts) * spread


def whole_schedule() -> timedelta:
    """From the first failure to the last try, before jitter."""
    return sum((nominal_delay(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
