"""The contract's scalars: UTC DateTime with a 'Z', and Decimal as a string."""

from datetime import UTC, date, datetime

import strawberry

# Instants the API takes: years 2 to 9998, so that any arithmetic on them (a day either
# side, a time zone's offset, a booking window) stays inside what datetime and the
# databases hold.
MIN_YEAR = 2
MAX_YEAR = 9998


class InvalidScalar(ValueError):
    """A scalar value the client sent that cannot be read; the message is for the client."""


def serialize_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant with an offset, in UTC, between years MIN_YEAR and MAX_YEAR."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidScalar("DateTime must be ISO-8601, e.g. 2030-01-31T09:00:00Z") from None
    if parsed.tzinfo is None:
        raise InvalidScalar("DateTime must carry an offset, e.g. 2030-01-31T09:00:00Z")
    # Checked before converting: moving year 1 or 9999 to UTC may leave the calendar.
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidScalar(f"DateTime must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed.astimezone(UTC)


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidScalar("DateTime must be an ISO-8601 string")
    return parse_instant(value)


DateTime = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO-8601 with an offset; the API always answers in UTC ('Z'). "
    f"Years {MIN_YEAR} to {MAX_YEAR}.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)


def parse_date(value: object) -> date:
    """An ISO-8601 calendar date between years MIN_YEAR and MAX_YEAR."""
    if not isinstance(value, str):
        raise InvalidScalar("Date must be an ISO-8601 string, e.g. 2030-01-31")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidScalar("Date must be ISO-8601, e.g. 2030-01-31") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidScalar(f"Date must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed


Date = strawberry.scalar(
    name="Date",
    description=f"Date (isoformat), years {MIN_YEAR} to {MAX_YEAR}.",
    serialize=date.isoformat,
    parse_value=parse_date,
)
