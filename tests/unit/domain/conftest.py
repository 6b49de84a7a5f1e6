from hypothesis import HealthCheck, settings

# Derandomized so that CI runs the same examples every time; no example database,
# so a run leaves nothing behind.
settings.register_profile(
    "domain",
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("domain")
