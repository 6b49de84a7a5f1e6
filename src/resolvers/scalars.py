"""The contract's scalars: UTC DateTime with a 'Z', and Decimal as a string."""

from datetime import UTC, datetime

import strawberry


def serialize_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime must carry an offset, e.g. 2030-01-31T09:00:00Z")
    return parsed.astimezone(UTC)


DateTime = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO-8601 with an offset; the API always answers in UTC ('Z').",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
