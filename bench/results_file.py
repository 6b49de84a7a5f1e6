"""RESULTS.md: one section per benchmark, each rewritten by its own run; the others stay."""

from pathlib import Path

PREAMBLE = (
    "# Benchmark results\n\n"
    "Written by `make bench` (`python -m bench`); each benchmark rewrites its own section.\n\n"
)


def replace_section(path: Path, heading: str, text: str) -> None:
    """Put ``text`` (which starts with ``heading``) in place of that section, or append it."""
    current = path.read_text() if path.exists() else PREAMBLE
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        rest = "".join(lines[end:])
        updated = "".join(lines[:start]) + text + ("\n" + rest if rest else "")
    path.write_text(updated)
