"""The live suite's pure parts: the open loop's schedule, shares between generators,
percentiles and spreads, the API's instants, Redis' counters, the sizes of the bench's
own appointments, and what a feed missed."""

from datetime import UTC, datetime

import pytest
from bench.live.cancels import Cancellations, Cancelled
from bench.live.pacing import achieved_rate, due, instant, percentile, shares, spread
from bench.live.parts import FeedEvent, FeedResult, Window
from bench.live.redis_capacity import Capacity
from bench.live.redis_stats import RedisCounters, counters
from bench.live.report_parts import halves_p99
from bench.live.world import CANCELLABLE_SHARE, sizes_for


def test_an_open_loop_plans_item_i_at_start_plus_i_over_the_rate() -> None:
    assert due(10.0, 0, 200.0) == 10.0
    assert due(10.0, 200, 200.0) == pytest.approx(11.0)
    assert due(0.0, 3, 0.5) == 6.0


def test_an_open_loop_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        due(0.0, 1, 0.0)


def test_shares_keep_the_order_and_differ_by_at_most_one() -> None:
    assert shares([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert shares([1, 2], 3) == [[1], [2], []]
    parts = shares(list(range(10_001)), 3)
    assert [len(p) for p in parts] == [3334, 3334, 3333]
    assert [x for p in parts for x in p] == list(range(10_001))
    with pytest.raises(ValueError, match="at least one part"):
        shares([1], 0)


def test_percentiles_are_nearest_rank_and_need_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_a_spread_sorts_its_values_first() -> None:
    s = spread([float(v) for v in range(200, 0, -1)])
    assert (s.p50, s.p99, s.max, s.count) == (100.0, 198.0, 200.0, 200)
    assert s.text() == "100 ms | 198 ms | 200 ms"


def test_the_achieved_rate_counts_intervals_between_the_first_and_the_last() -> None:
    assert achieved_rate([0.0, 0.5, 1.0]) == 2.0
    assert achieved_rate([5.0]) == 0.0
    assert achieved_rate([]) == 0.0
    assert achieved_rate([3.0, 3.0]) == 0.0


def test_instants_with_a_z_are_utc() -> None:
    expected = datetime(2026, 12, 3, 19, 0, 0, 250_000, tzinfo=UTC).timestamp()
    assert instant("2026-12-03T19:00:00.250000Z") == expected
    assert instant("2026-12-03T16:00:00.250000-03:00") == expected


def test_redis_counters_add_cpu_and_both_publish_commands() -> None:
    cpu = {"used_cpu_sys": 1.5, "used_cpu_user": 2.25, "used_cpu_sys_children": 9.0}
    stats = {
        "cmdstat_publish": {"calls": 10, "usec": 40, "usec_per_call": 4.0},
        "cmdstat_spublish": {"calls": 2, "usec": 8},
        "cmdstat_get": {"calls": 99, "usec": 99},
    }
    assert counters(cpu, stats) == RedisCounters(3.75, 12, 48)
    assert counters({}, {}) == RedisCounters(0.0, 0, 0)


def test_redis_counters_per_publish_over_a_window() -> None:
    window = RedisCounters(3.0, 1_000, 6_000) - RedisCounters(2.0, 500, 4_000)
    assert window == RedisCounters(1.0, 500, 2_000)
    assert window.cpu_us_per_publish() == pytest.approx(2_000.0)
    assert window.command_us_per_publish() == 4.0
    idle = RedisCounters(0.1, 0, 0)
    assert idle.cpu_us_per_publish() is None
    assert idle.command_us_per_publish() is None


@pytest.mark.parametrize(("feed", "others"), [(0, 201), (5_001, 11_001), (1_001, 10_001)])
def test_the_generated_world_holds_enough_cancellable_appointments(feed: int, others: int) -> None:
    sizes = sizes_for(feed, others)
    assert sizes.appointments == sizes.slots * sizes.psychologists
    # Psychologist 0 holds the first `slots` rows, the others the rest.
    assert sizes.slots * CANCELLABLE_SHARE >= feed
    assert (sizes.psychologists - 1) * sizes.slots * CANCELLABLE_SHARE >= others
    assert sizes.patients >= 100


def test_redis_cpu_above_idle_takes_off_the_idle_rate_and_never_goes_below_zero() -> None:
    spent = RedisCounters(0.5, 100, 300)
    assert spent.above_idle(0.01, 10.0) == RedisCounters(pytest.approx(0.4), 100, 300)
    assert spent.above_idle(1.0, 10.0) == RedisCounters(0.0, 100, 300)


def test_capacity_counts_one_delivery_per_subscriber_per_publish() -> None:
    c = Capacity(subscribers=8, seconds=2.0, redis=RedisCounters(0.8, 100_000, 300_000))
    assert c.publishes_per_second == 50_000
    assert c.deliveries_per_second == 400_000
    assert c.cpu_us_per_delivery == pytest.approx(1.0)


def _feed(events: list[FeedEvent], sent: list[str]) -> FeedResult:
    done = [Cancelled(appointment, 1.0, 1.1) for appointment in sent]
    window = Window(1.0, 0.5, 0.0, 0.5, RedisCounters(0.0, 0, 0))
    return FeedResult("publish", 200.0, 1.0, Cancellations(done, [], []), events, window)


def test_a_feed_misses_what_was_sent_and_never_received_cancelled() -> None:
    events = [
        FeedEvent("a", "CANCELLED", 10.0, 10.25),
        FeedEvent("b", "CONFIRMED", 11.0, 11.5),
        FeedEvent("c", "CANCELLED", 12.0, 12.125),
    ]
    result = _feed(events, ["a", "b", "c", "d"])
    assert result.missing == 2  # b arrived with another status, d never
    assert result.delays_ms == [125.0, 250.0, 500.0]


def test_the_halves_split_the_events_in_the_order_they_occurred() -> None:
    early = [FeedEvent(f"e{i}", "CANCELLED", float(i), i + 0.01) for i in range(50)]
    late = [FeedEvent(f"l{i}", "CANCELLED", 100.0 + i, 100.5 + i) for i in range(50)]
    assert halves_p99(_feed(late + early, [])) == "10 / 500 ms"
    assert halves_p99(_feed(early[:1], [])) == "n/a"
