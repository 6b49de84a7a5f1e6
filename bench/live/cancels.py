"""``cancelAppointment`` through the API on an open loop: cancellation ``i`` leaves at
start + i / rate whatever the earlier answers did (httpx, one pool)."""

import asyncio
import time
from dataclasses import dataclass

import httpx
import orjson

from bench.live.pacing import due
from bench.write.steady import HTTP_TIMEOUT_SECONDS, KEEPALIVE_SECONDS

CANCEL = (
    "mutation Cancel($id: ID!) { cancelAppointment(input: {appointmentId: $id, "
    'reason: "live benchmark"}) { appointment { status } userErrors { message } } }'
)


@dataclass(frozen=True)
class Cancelled:
    appointment: str
    sent: float  # time.time()
    answered: float


@dataclass(frozen=True)
class Cancellations:
    done: list[Cancelled]
    failures: list[str]
    # How late the sender was against its own schedule, seconds.
    lateness: list[float]


async def cancel_paced(graphql_url: str, token: str, ids: list[str], rate: float) -> Cancellations:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    done: list[Cancelled] = []
    failures: list[str] = []
    lateness: list[float] = []
    limits = httpx.Limits(
        max_connections=256, max_keepalive_connections=256, keepalive_expiry=KEEPALIVE_SECONDS
    )
    async with httpx.AsyncClient(limits=limits, timeout=HTTP_TIMEOUT_SECONDS) as client:

        async def one(appointment: str) -> None:
            body = orjson.dumps({"query": CANCEL, "variables": {"id": appointment}})
            sent = time.time()
            try:
                response = await client.post(graphql_url, content=body, headers=headers)
            except httpx.TransportError as error:
                failures.append(f"{type(error).__name__}: {error}")
                return
            answered = time.time()
            payload = orjson.loads(response.content)
            result = (payload.get("data") or {}).get("cancelAppointment") or {}
            status = (result.get("appointment") or {}).get("status")
            if payload.get("errors") or result.get("userErrors") or status != "CANCELLED":
                failures.append(f"HTTP {response.status_code}: {response.text[:300]}")
                return
            done.append(Cancelled(appointment, sent, answered))

        tasks = []
        start = time.perf_counter() + 0.05
        for index, appointment in enumerate(ids):
            planned = due(start, index, rate)
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness.append(max(0.0, time.perf_counter() - planned))
            tasks.append(asyncio.create_task(one(appointment)))
        await asyncio.gather(*tasks)
    return Cancellations(done, failures, lateness)
