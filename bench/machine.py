"""What the figures were measured on."""

import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGES = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "asyncpg", "sqlalchemy")


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gib: float
    cpu_model: str
    kernel: str
    python: str
    postgres: str
    packages: str


def _first_value(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def describe(postgres_version: str) -> Machine:
    memory_kib = _first_value("/proc/meminfo", "MemTotal").removesuffix("kB").strip()
    return Machine(
        cores=os.cpu_count() or 0,
        memory_gib=int(memory_kib) / 1024**2 if memory_kib.isdigit() else 0.0,
        cpu_model=_first_value("/proc/cpuinfo", "model name"),
        kernel=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        postgres=postgres_version,
        packages=", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES),
    )
