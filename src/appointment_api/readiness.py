"""Readiness: every dependency this process needs, each checked and named in the answer."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger("appointment_api.readiness")

Probe = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: Mapping[str, bool]

    @property
    def ready(self) -> bool:
        return all(self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {name: "ok" if ok else "down" for name, ok in self.checks.items()},
        }


async def _passes(name: str, probe: Probe, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await probe()
    except Exception as error:  # any failure of a probe means "down"
        # Logged here, never sent: the answer names the dependency, not its error.
        log.warning("readiness check failed", extra={"check": name, "error": repr(error)})
        return False
    return True


async def check_readiness(
    probes: Mapping[str, Probe], *, seconds_each: float = CHECK_TIMEOUT_SECONDS
) -> Readiness:
    names = list(probes)
    results = await asyncio.gather(*(_passes(name, probes[name], seconds_each) for name in names))
    return Readiness(dict(zip(names, results, strict=True)))
