"""Global IDs and the DateTime scalar."""

import base64
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from resolvers.errors import ClientError
from resolvers.event_cursors import decode_event_cursor, encode_event_cursor
from resolvers.node_ids import expect_global_id, from_global_id, to_global_id
from resolvers.scalars import InvalidScalar, parse_date, parse_datetime, serialize_datetime


def test_a_global_id_names_its_type_and_round_trips() -> None:
    key = uuid4()
    assert from_global_id(to_global_id("Appointment", key), argument="id") == ("Appointment", key)


@pytest.mark.parametrize("value", ["", "%%%", to_global_id("Appointment", uuid4())[:-4], "QXBw"])
def test_a_malformed_global_id_is_bad_user_input(value: str) -> None:
    with pytest.raises(ClientError):
        from_global_id(value, argument="id")


def test_an_id_of_another_type_is_refused_where_a_type_is_expected() -> None:
    with pytest.raises(ClientError):
        expect_global_id(to_global_id("Patient", uuid4()), "Appointment", argument="id")


def test_datetimes_are_answered_in_utc_with_a_z() -> None:
    sao_paulo = timezone(timedelta(hours=-3))
    assert (
        serialize_datetime(datetime(2030, 1, 2, 7, 0, tzinfo=sao_paulo)) == "2030-01-02T10:00:00Z"
    )


def test_datetimes_with_an_offset_are_read_as_the_same_instant() -> None:
    assert parse_datetime("2030-01-02T07:00:00-03:00") == datetime(2030, 1, 2, 10, tzinfo=UTC)
    assert parse_datetime("2030-01-02T10:00:00Z") == datetime(2030, 1, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2030-01-02T10:00:00", "tomorrow", 1234])
def test_datetimes_without_an_offset_or_not_iso_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_datetime(value)


def test_event_cursors_round_trip_and_refuse_anything_else() -> None:
    assert decode_event_cursor(encode_event_cursor(42)) == 42
    with pytest.raises(ClientError):
        decode_event_cursor(to_global_id("Appointment", uuid4()))


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:00Z",
        "9999-12-31T23:00:00-14:00",
    ],
)
def test_datetimes_outside_the_years_2_to_9998_are_refused_before_any_arithmetic(
    value: str,
) -> None:
    with pytest.raises(InvalidScalar, match="years 2 to 9998"):
        parse_datetime(value)


def test_the_first_and_last_years_taken_leave_room_for_arithmetic() -> None:
    first = parse_datetime("0002-01-01T00:00:00+14:00")
    last = parse_datetime("9998-12-31T23:59:59-14:00")
    assert first - timedelta(days=2) < last + timedelta(days=300)


@pytest.mark.parametrize("digits", ["9" * 20, str(2**63), "-1", "1_000", " 7"])
def test_an_event_cursor_beyond_a_64_bit_sequence_is_refused(digits: str) -> None:
    cursor = base64.urlsafe_b64encode(f"event:{digits}".encode()).decode()
    with pytest.raises(ClientError):
        decode_event_cursor(cursor)


def test_the_largest_event_sequence_is_a_cursor() -> None:
    assert decode_event_cursor(encode_event_cursor(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2030-02-30", "tomorrow", 20300101])
def test_dates_outside_the_years_2_to_9998_or_not_iso_are_refused(value: object) -> None:
    with pytest.raises(InvalidScalar):
        parse_date(value)


def test_a_date_in_range_is_read() -> None:
    assert parse_date("9998-12-31") == date(9998, 12, 31)
