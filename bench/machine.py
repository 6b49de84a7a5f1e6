"""What the figures were measured on, and which code."""

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGES = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "asyncpg", "sqlalchemy")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gib: float
    cpu_model: str
    kernel: str
    python: str
    postgres: str
    packages: str
    code: str


def _first_value(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def code_version() -> str:
    """The commit measured, and whether src/ differed from it."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is None:
        return "code outside git (commit unknown)"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"commit {commit}" + (" with uncommitted changes in src/" if dirty else "")


def describe(postgres_version: str, extra_packages: tuple[str, ...] = ()) -> Machine:
    memory_kib = _first_value("/proc/meminfo", "MemTotal").removesuffix("kB").strip()
    return Machine(
        cores=os.cpu_count() or 0,
        memory_gib=int(memory_kib) / 1024**2 if memory_kib.isdigit() else 0.0,
        cpu_model=_first_value("/proc/cpuinfo", "model name"),
        kernel=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        postgres=postgres_version,
        packages=", ".join(
            f"{name} {metadata.version(name)}" for name in (*PACKAGES, *extra_packages)
        ),
        code=code_version(),
    )
