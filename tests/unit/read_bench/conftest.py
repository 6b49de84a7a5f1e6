"""The benchmark lives beside the application, not in it: its folder is put on the import
path for these tests of its pure parts (the bench runs as ``python -m bench`` from there)."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
