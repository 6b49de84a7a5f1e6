"""Benchmarks of the API against a bare floor in the same run; ``python -m bench``."""
