"""Benchmarks of the API against a bare floor in the same run; ``python -m bench``.

The servers and processes are started by the stack launcher the tests and ``make stack``
use (tests/support/launcher.py), importable as ``support.launcher``.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
