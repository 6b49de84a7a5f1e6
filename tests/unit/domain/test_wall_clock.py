from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.schedule import Interval, WallClockSpan, instants_showing, wall_clock_spans

NEW_YORK = ZoneInfo("America/New_York")


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def test_an_ordinary_reading_happens_once() -> None:
    assert instants_showing(datetime(2026, 3, 8, 9, 0), NEW_YORK) == [utc("2026-03-08T13:00")]


def test_a_reading_the_clock_skips_never_happens() -> None:
    assert instants_showing(datetime(2026, 3, 8, 2, 30), NEW_YORK) == []


def test_a_reading_in_the_repeated_hour_happens_twice() -> None:
    assert instants_showing(datetime(2026, 11, 1, 1, 30), NEW_YORK) == [
        utc("2026-11-01T05:30"),
        utc("2026-11-01T06:30"),
    ]


def test_an_interval_without_a_dst_change_is_one_span_of_readings() -> None:
    interval = Interval(utc("2026-05-12T13:00"), utc("2026-05-12T14:30"))

    assert wall_clock_spans(interval, NEW_YORK) == [
        WallClockSpan(datetime(2026, 5, 12, 9, 0), datetime(2026, 5, 12, 10, 30))
    ]


def test_a_spring_change_splits_the_readings_where_the_clock_jumps_forward() -> None:
    interval = Interval(utc("2026-03-08T06:30"), utc("2026-03-08T07:30"))

    assert wall_clock_spans(interval, NEW_YORK) == [
        WallClockSpan(datetime(2026, 3, 8, 1, 30), datetime(2026, 3, 8, 2, 0)),
        WallClockSpan(datetime(2026, 3, 8, 3, 0), datetime(2026, 3, 8, 3, 30)),
    ]


def test_an_autumn_change_splits_the_readings_where_the_clock_falls_back() -> None:
    interval = Interval(utc("2026-11-01T05:20"), utc("2026-11-01T06:20"))

    assert wall_clock_spans(interval, NEW_YORK) == [
        WallClockSpan(datetime(2026, 11, 1, 1, 20), datetime(2026, 11, 1, 2, 0)),
        WallClockSpan(datetime(2026, 11, 1, 1, 0), datetime(2026, 11, 1, 1, 20)),
    ]


def test_a_change_exactly_at_the_end_of_an_interval_does_not_split_it() -> None:
    interval = Interval(utc("2026-11-01T05:00"), utc("2026-11-01T06:00"))

    assert wall_clock_spans(interval, NEW_YORK) == [
        WallClockSpan(datetime(2026, 11, 1, 1, 0), datetime(2026, 11, 1, 2, 0))
    ]


def test_an_interval_knows_its_length() -> None:
    interval = Interval(utc("2026-05-12T13:00"), utc("2026-05-12T14:30"))

    assert interval.length == timedelta(minutes=90)
