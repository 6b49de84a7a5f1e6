"""CPU time of processes, from /proc: user + system, in seconds."""

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def process_seconds(pid: int) -> float:
    """CPU time of one process so far (utime + stime)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state is field 3 of stat(5), so utime (14) and stime (15) are at 11, 12.
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def children_seconds(parent: int) -> float:
    """CPU time of ``parent``, of its children that exited and were reaped, and of its live
    children (PostgreSQL's backends and workers).

    Counting the reaped ones keeps the sum from falling when a backend exits.
    """
    fields = _stat_fields(parent)
    if fields is None:
        return 0.0
    # cutime (16) and cstime (17) of stat(5): the reaped children's CPU time.
    total = process_seconds(parent) + (int(fields[13]) + int(fields[14])) / TICKS_PER_SECOND
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[1]) == parent:
            total += process_seconds(int(entry.name))
    return total


def machine_busy_seconds() -> float:
    """CPU time spent by every process on the machine so far, all cores together."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields]
    # user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS_PER_SECOND
