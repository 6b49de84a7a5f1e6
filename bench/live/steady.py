"""From ``requestAppointment`` to CONFIRMED received on a subscription, at a steady rate,
on the full stack (API, SQS server, workers, Redis, PostgreSQL).

One admin websocket subscribes to ``appointmentEvents`` (every change) before the first
request and notes when each appointment's decision arrives; requests leave on an open
loop (request ``i`` at ``start + i / rate``, whatever the earlier answers).
"""

import asyncio
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection

from bench.errors import BenchError
from bench.live.feed_subscription import subscribe_to_events
from bench.write.requests import single_body
from bench.write.schedule import Slots, bench_psychologists
from bench.write.stacks import BENCH_SETTINGS, add_psychologists
from bench.write.steady import HTTP_TIMEOUT_SECONDS, KEEPALIVE_SECONDS
from domain.viewer import Role
from infra.auth import issue_token
from support.launcher import Api, Deployment, Endpoints, environment
from support.postgres import PostgresAdmin, PostgresCluster
from support.services import SqsServer

DATABASE = "appointments_live_steady"
WORKERS = 2
DECIDED = ("CONFIRMED", "REJECTED")
PSYCHOLOGISTS = 200
# From the last answer: at a rate the stack cannot hold, the backlog drains after it.
DECISION_TIMEOUT_SECONDS = 300.0


@dataclass
class Request:
    sent: float
    answered: float
    appointment_id: str


@dataclass(frozen=True)
class SteadyResult:
    rate: float
    seconds: float
    requests: list[Request]
    # appointment id → (decision, wall-clock time received on the subscription)
    decisions: dict[str, tuple[str, float]]
    failures: list[str]
    lateness: list[float]


@dataclass(frozen=True)
class LiveStack:
    """The full stack's API under load, and a token for it."""

    api: Api
    token: str
    deployment: Deployment

    @property
    def graphql_url(self) -> str:
        return self.api.graphql_url

    def check_alive(self) -> None:
        self.deployment.check_alive()


def full_stack(
    stack: ExitStack, cluster: PostgresCluster, workdir: Path, redis_url: str
) -> LiveStack:
    """The write suite's full stack from the launcher (an API, two workers, moto's SQS
    server) on a database of its own in ``cluster``, with ``redis_url``; stopped when
    ``stack`` closes."""
    admin = PostgresAdmin(cluster.admin_url)
    admin.drop_database(DATABASE)
    admin.create_database(DATABASE)
    sqs = SqsServer(workdir)
    stack.callback(sqs.stop)
    sqs.start()
    endpoints = Endpoints(
        database_url=admin.url(DATABASE), redis_url=redis_url, sqs_endpoint=sqs.endpoint_url
    )
    deployment = Deployment(workdir, environment(endpoints, **BENCH_SETTINGS))
    stack.callback(deployment.stop)
    deployment.run("migrate", "migrate")
    deployment.run("queues", "queues", "create")
    asyncio.run(add_psychologists(endpoints.database_url, bench_psychologists(PSYCHOLOGISTS)))
    deployment.start_workers(WORKERS)
    [api] = deployment.start_apis(1)
    token = issue_token(
        secret=endpoints.jwt_secret,
        subject="admin-1",
        role=Role.ADMIN,
        ttl=timedelta(hours=24),
        now=datetime.now(UTC),
    )
    return LiveStack(api, token, deployment)


async def _listen(connection: ClientConnection, decisions: dict[str, tuple[str, float]]) -> None:
    async for raw in connection:
        received = time.time()
        message: dict[str, Any] = orjson.loads(raw)
        if message["type"] == "ping":
            await connection.send(orjson.dumps({"type": "pong"}).decode())
            continue
        if message["type"] != "next" or message["payload"].get("errors"):
            raise BenchError(f"appointmentEvents: unexpected message {message}")
        event = message["payload"]["data"]["appointmentEvents"]
        if event["status"] in DECIDED:
            decisions.setdefault(event["appointmentId"], (event["status"], received))


async def _steady(deployed: LiveStack, slots: Slots, rate: float, seconds: float) -> SteadyResult:
    bodies = [single_body(slot) for slot in slots.take(round(rate * seconds))]
    ws_url = deployed.graphql_url.replace("http://", "ws://")
    connection = await subscribe_to_events(ws_url, deployed.token)
    decisions: dict[str, tuple[str, float]] = {}
    listener = asyncio.create_task(_listen(connection, decisions))
    headers = {"Authorization": f"Bearer {deployed.token}", "Content-Type": "application/json"}
    requests: list[Request] = []
    failures: list[str] = []
    lateness: list[float] = []
    try:
        # The write suite's client settings: a pool wide enough that no request waits
        # for a connection (httpcore's queue of waiting requests grows quadratically
        # costly), idle connections closed before uvicorn's keep-alive timeout.
        limits = httpx.Limits(
            max_connections=256, max_keepalive_connections=256, keepalive_expiry=KEEPALIVE_SECONDS
        )
        async with httpx.AsyncClient(limits=limits, timeout=HTTP_TIMEOUT_SECONDS) as client:

            async def one(body: bytes) -> None:
                sent = time.time()
                try:
                    response = await client.post(
                        deployed.graphql_url, content=body, headers=headers
                    )
                except httpx.TransportError as error:
                    failures.append(f"{type(error).__name__}: {error}")
                    return
                answered = time.time()
                payload = orjson.loads(response.content)
                result = (payload.get("data") or {}).get("requestAppointment") or {}
                if (
                    payload.get("errors")
                    or result.get("userErrors")
                    or not result.get("appointment")
                ):
                    failures.append(f"HTTP {response.status_code}: {response.text[:300]}")
                    return
                requests.append(Request(sent, answered, result["appointment"]["id"]))

            tasks = []
            start = time.perf_counter() + 0.05
            for index, body in enumerate(bodies):
                due = start + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                lateness.append(max(0.0, time.perf_counter() - due))
                tasks.append(asyncio.create_task(one(body)))
            await asyncio.gather(*tasks)
        deadline = time.monotonic() + DECISION_TIMEOUT_SECONDS
        while any(r.appointment_id not in decisions for r in requests):
            if listener.done():
                listener.result()
                raise BenchError("the appointmentEvents subscription ended")
            if time.monotonic() > deadline:
                missing = sum(r.appointment_id not in decisions for r in requests)
                raise BenchError(f"{missing} decisions not received within the timeout")
            await asyncio.sleep(0.05)
    finally:
        listener.cancel()
        await connection.close()
    elapsed = max(r.answered for r in requests) - min(r.sent for r in requests)
    return SteadyResult(rate, elapsed, requests, decisions, failures, lateness)


def new_slots() -> Slots:
    """Free slots of the stack's psychologists, shared by the phases: none asked twice."""
    return Slots(bench_psychologists(PSYCHOLOGISTS), date.today())


def run_steady(deployed: LiveStack, slots: Slots, rate: float, seconds: float) -> SteadyResult:
    result = asyncio.run(_steady(deployed, slots, rate, seconds))
    deployed.check_alive()
    if not result.requests:
        raise BenchError(f"no request succeeded: {result.failures[:3]}")
    return result
