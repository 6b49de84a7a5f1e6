"""Exponential backoff with full jitter (AWS architecture blog), for redeliveries and outages."""

import random


def full_jitter(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    return rng.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))


class Backoff:
    """Growing pauses while something keeps failing; back to short ones after a success.

    The jitter spreads out the workers that all saw the same outage, so they do not
    come back at the same instant.
    """

    def __init__(self, *, base: float, cap: float, rng: random.Random | None = None) -> None:
        self._base = base
        self._cap = cap
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        return full_jitter(self.failures, base=self._base, cap=self._cap, rng=self._rng)

    def reset(self) -> None:
        self.failures = 0
