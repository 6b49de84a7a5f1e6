"""The garbage collector tuned for a server that holds many long-lived objects.

Setting up a subscription allocates hundreds of container objects (the websocket's
protocol state, the GraphQL execution, the feed's generators), most of which live as long
as the connection. At CPython's default threshold (700 allocations) the youngest
generation is collected several times per subscription set up, and every tenth of those
collections walks the middle generation too: about a sixth of the API's CPU while 2,000
subscribers connected (bench/RESULTS.md, "Live"). Collected every 20,000 allocations
instead, the young generation still never holds more than a few megabytes.

Objects made while starting (the schema, the tables, the modules) never become garbage:
frozen, no collection walks them again.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 20_000
# How many collections of the younger generation before the older one is collected too:
# CPython's defaults, so cyclic garbage ages as before.
OLDER_GENERATION_THRESHOLDS = (10, 10)


def tune_garbage_collector() -> None:
    """Freeze what exists now and collect the young generation less often. Once, after the
    app is built and before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *OLDER_GENERATION_THRESHOLDS)
