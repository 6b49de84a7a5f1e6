"""The limits SQS puts on batches, waits and visibility, applied alike by every adapter."""

import math
from collections.abc import Mapping, Sequence

MAX_BATCH = 10
MAX_WAIT_SECONDS = 20
MAX_VISIBILITY_SECONDS = 43_200


def check_batch(messages: Sequence[object]) -> None:
    if len(messages) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} messages, not {len(messages)}")


def check_max_messages(max_messages: int) -> None:
    if not 1 <= max_messages <= MAX_BATCH:
        raise ValueError(f"max_messages must be 1 to {MAX_BATCH}, not {max_messages}")


def wait_seconds_between_limits(seconds: float) -> float:
    return min(float(MAX_WAIT_SECONDS), max(0.0, seconds))


def visibility_between_limits(seconds: float) -> float:
    return min(float(MAX_VISIBILITY_SECONDS), max(0.0, seconds))


def whole_seconds(seconds: float) -> int:
    """SQS counts in whole seconds: round up, so nothing comes back sooner than asked."""
    return math.ceil(seconds)


def sendable_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    # SQS refuses a message attribute with an empty value; leaving it out keeps
    # one such attribute from blocking the whole batch on every retry.
    return {name: value for name, value in attributes.items() if value}
