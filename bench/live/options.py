"""The command line of ``python -m bench live``."""

import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"


@dataclass(frozen=True)
class Options:
    subscribers: tuple[int, ...]
    generators: int
    parts: tuple[str, ...]
    rates: tuple[float, ...]
    steady_seconds: float
    spread_subscribers: tuple[int, ...]
    spread_rate: float
    spread_sources: tuple[str, ...]
    spread_publish_rate: float
    feed_rate: float
    feed_seconds: float
    feed_sources: tuple[str, ...]
    replica_subscribers: int
    replica_counts: tuple[int, ...]
    capacity_subscribers: tuple[int, ...]
    capacity_publishes: int
    results: Path | None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subscribers",
        help="comma-separated numbers of concurrent subscribers (default 1000,5000,10000; "
        "--quick 200,1000)",
    )
    p.add_argument(
        "--generators",
        type=int,
        default=2,
        help="load-generator processes sharing the subscribers (default 2)",
    )
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="comma-separated parts among fanout, steady, spread, feed, replicas, redis "
        "(default all); each rewrites its own section",
    )
    p.add_argument(
        "--rates", default="50,10", help="steady requests/s, one phase each (default 50,10)"
    )
    p.add_argument(
        "--steady-seconds", type=float, help="length of the steady phase (default 60; --quick 10)"
    )
    p.add_argument(
        "--spread-subscribers",
        help="spread part: comma-separated numbers of subscribers, each to an appointment of "
        "its own (default 1000,10000; --quick 200)",
    )
    p.add_argument(
        "--spread-rate",
        type=float,
        default=50.0,
        help="spread part: cancellations per second, one per appointment (default 50: "
        "about what one API process commits beside the fan-out on two shared cores)",
    )
    p.add_argument(
        "--spread-sources",
        default="api,publish",
        help="spread part: where the events come from, one run per size each: api "
        "(cancelAppointment at --spread-rate) and/or publish (straight to Redis, as the API "
        "publishes after its commit, at --spread-publish-rate) (default api,publish)",
    )
    p.add_argument(
        "--spread-publish-rate",
        type=float,
        default=500.0,
        help="spread part: events per second published straight to Redis (default 500)",
    )
    p.add_argument(
        "--feed-rate",
        type=float,
        default=200.0,
        help="feed part: status changes per second on one psychologist's feed (default 200)",
    )
    p.add_argument(
        "--feed-seconds", type=float, help="feed part: length of the run (default 25; --quick 5)"
    )
    p.add_argument(
        "--feed-sources",
        default="api,publish",
        help="feed part: where the events come from, one run each: api (cancelAppointment "
        "through the API) and/or publish (straight to Redis, as the API publishes after its "
        "commit) (default api,publish)",
    )
    p.add_argument(
        "--replica-subscribers",
        type=int,
        help="replicas part: subscribers on each API (default 5000; --quick 200)",
    )
    p.add_argument(
        "--replica-counts",
        default="1,2",
        help="replicas part: numbers of API processes behind the one Redis, one run each "
        "(default 1,2)",
    )
    p.add_argument(
        "--capacity-subscribers",
        default="1,2,8,32",
        help="redis part: subscribed connections per channel, one run each (default 1,2,8,32)",
    )
    p.add_argument(
        "--capacity-publishes",
        type=int,
        help="redis part: PUBLISH calls per run (default 300000; --quick 30000)",
    )


PARTS = ("fanout", "steady", "spread", "feed", "replicas", "redis")


def from_args(args: argparse.Namespace, p: argparse.ArgumentParser) -> Options:
    quick = args.quick
    text = getattr(args, "subscribers", None) or ("200,1000" if quick else "1000,5000,10000")
    try:
        subscribers = tuple(int(part) for part in text.split(","))
    except ValueError:
        p.error("--subscribers: comma-separated whole numbers")
    generators = getattr(args, "generators", 2)
    if generators < 1 or any(n < generators for n in subscribers):
        p.error("--generators must be at least 1 and at most the smallest --subscribers")
    parts = tuple(getattr(args, "parts", ",".join(PARTS)).split(","))
    if not parts or any(part not in PARTS for part in parts):
        p.error("--parts: comma-separated among " + ", ".join(PARTS))
    spread_sources = tuple(getattr(args, "spread_sources", "api,publish").split(","))
    if not spread_sources or any(source not in ("api", "publish") for source in spread_sources):
        p.error("--spread-sources: api, publish or api,publish")
    feed_sources = tuple(getattr(args, "feed_sources", "api,publish").split(","))
    if not feed_sources or any(source not in ("api", "publish") for source in feed_sources):
        p.error("--feed-sources: api, publish or api,publish")
    spread_text = getattr(args, "spread_subscribers", None) or ("200" if quick else "1000,10000")
    try:
        spread_subscribers = tuple(int(part) for part in spread_text.split(","))
    except ValueError:
        p.error("--spread-subscribers: comma-separated whole numbers")
    if any(n < generators for n in spread_subscribers):
        p.error("--spread-subscribers: each at least --generators")
    return Options(
        subscribers=subscribers,
        generators=generators,
        parts=parts,
        rates=tuple(float(part) for part in getattr(args, "rates", "50,10").split(",")),
        steady_seconds=getattr(args, "steady_seconds", None) or (10.0 if quick else 60.0),
        spread_subscribers=spread_subscribers,
        spread_rate=getattr(args, "spread_rate", 50.0),
        spread_sources=spread_sources,
        spread_publish_rate=getattr(args, "spread_publish_rate", 500.0),
        feed_rate=getattr(args, "feed_rate", 200.0),
        feed_seconds=getattr(args, "feed_seconds", None) or (5.0 if quick else 25.0),
        feed_sources=feed_sources,
        replica_subscribers=getattr(args, "replica_subscribers", None) or (200 if quick else 5000),
        replica_counts=tuple(
            int(part) for part in getattr(args, "replica_counts", "1,2").split(",")
        ),
        capacity_subscribers=tuple(
            int(part) for part in getattr(args, "capacity_subscribers", "1,2,8,32").split(",")
        ),
        capacity_publishes=getattr(args, "capacity_publishes", None)
        or (30_000 if quick else 300_000),
        results=args.results or (None if quick else RESULTS),
    )
