"""The RedrivePolicy queue attribute: where dead letters go, after how many receives."""

import json


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    if max_receive_count < 1:
        raise ValueError(f"max_receive_count must be at least 1, not {max_receive_count}")
    return json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
    )


def max_receive_count_of(policy: str | None, *, queue_url: str) -> int:
    if not policy:
        raise ValueError(f"{queue_url} has no RedrivePolicy: create it with its dead-letter queue")
    try:
        return int(json.loads(policy)["maxReceiveCount"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{queue_url} has an unreadable RedrivePolicy: {policy!r}") from error
