"""The one error a benchmark run raises when it cannot go on."""


class BenchError(RuntimeError):
    """The run cannot go on; the message says why."""
