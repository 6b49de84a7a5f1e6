"""Exponential backoff with full jitter (AWS architecture blog), for redeliveries."""

import random


def full_jitter(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    return rng.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))
