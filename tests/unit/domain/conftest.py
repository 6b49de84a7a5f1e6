from hypothesis import HealthCheck, settings

# Derandomized so that every run, in CI or not, tries the same examples; with nothing
# random to replay, an example database would only add state between runs.
settings.register_profile(
    "domain",
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("domain")
