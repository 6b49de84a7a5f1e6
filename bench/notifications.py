"""``python -m bench.notifications``: webhook deliveries per second of one worker's loop,
and whether a slow receiver slows decisions. On a private PostgreSQL with its default
durability; the receiver is a minimal HTTP server in the same process (it shares the
CPU with the sender, so the rate is a floor for a receiver elsewhere)."""

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from pydantic import SecretStr
from sqlalchemy import insert, select
from uuid6 import uuid7

from application.live_events import appointment_channel, decode_event
from application.notification_ports import NewDelivery
from appointment_api.bootstrap import Resources, build_resources, create_app
from bench.machine import code_version
from bench.results_file import replace_section
from domain.people import Patient, Psychologist
from domain.schedule import Weekday, WorkingHours
from domain.viewer import Role, Viewer
from infra.auth import issue_token
from infra.config import Settings
from infra.db.migrate import upgrade_to_head
from infra.db.notification_store import SqlNotifications
from infra.db.rows import patient_to_row, psychologist_to_row
from infra.db.tables import appointments, patients, psychologists
from infra.db.write_lock import WriteLock
from resolvers.node_ids import from_global_id, to_global_id
from support.postgres import PostgresCluster as Cluster
from worker.backoff import Backoff
from worker.notification_loops import NotificationLoops

SECRET = "bench-secret-0123456789abcdef0123456789"  # noqa: S105 (a throwaway run's)
ADMIN = Viewer(subject="bench-admin", role=Role.ADMIN)
HEADING = "## Notifications: webhook deliveries per worker, decisions beside a slow receiver"
RESULTS = Path(__file__).with_name("RESULTS.md")
REQUEST = """mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id } userErrors { code } } }"""


class Receiver:
    """Answers 204 to every POST, after ``delay`` seconds."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.count = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


def settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        jwt_secret=SecretStr(SECRET),
        notifications_idle_seconds=0.05,
        rate_limits_enabled=False,
        min_notice_hours=1,
    )


def payload() -> dict[str, Any]:
    """About the size of a real delivery's body."""
    return {
        "type": "appointment.confirmed",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"appointment": {f"field{n}": "x" * 20 for n in range(20)}},
    }


async def deliveries_per_second(url: str, count: int) -> float:
    receiver = Receiver()
    await receiver.start()
    resources = build_resources(settings(url))
    try:
        notifications = resources.notifications
        made = await notifications.webhooks.register(
            ADMIN, url=f"http://127.0.0.1:{receiver.port}/", event_types=[], description=None
        )
        assert made.value is not None
        store = SqlNotifications(resources.engine, WriteLock(serialise=False))
        async with store() as unit:
            await unit.add_deliveries(
                [
                    NewDelivery(uuid7(), made.value.endpoint.id, uuid4(), 1, "bench", payload())
                    for _ in range(count)
                ],
                at=datetime.now(UTC),
            )
            await unit.commit()
        loops = NotificationLoops(
            [("webhooks", notifications.deliver_webhooks)],
            wakeup=notifications.wakeup,
            idle_seconds=0.05,
            outage_backoff=lambda: Backoff(base=0.5, cap=5),
            on_stop=[notifications.deliver_webhooks.drain],
        )
        stop = asyncio.Event()
        started = time.perf_counter()
        running = asyncio.create_task(loops.run(stop))
        await notifications.deliver_webhooks.count.wait_for_tried(count)
        elapsed = time.perf_counter() - started
        stop.set()
        await running
        assert notifications.deliver_webhooks.count.delivered == count
        return count / elapsed
    finally:
        await resources.close()
        await receiver.stop()


@dataclass
class Decisions:
    p50: float
    p95: float
    worst: float
    deliveries_waiting: int


async def decisions_beside(url: str, bookings: int, delay: float | None) -> Decisions:
    """Request→CONFIRMED times of ``bookings`` sessions, one after another, in the embedded
    app; with ``delay``, an endpoint that answers each delivery after that many seconds."""
    config = settings(url)
    resources = build_resources(config)
    receiver = Receiver(delay or 0.0)
    await receiver.start()
    app = create_app(config, resources=resources)
    hours = tuple(WorkingHours(day, clock_time(0), clock_time(23, 59)) for day in Weekday)
    psychologist = Psychologist(
        uuid4(), "Dr. Bench", f"{uuid4().hex}@bench.example", "UTC", hours, 50, Decimal(100)
    )
    patient = Patient(uuid4(), "Bench", f"{uuid4().hex}@bench.example", subject=uuid4().hex)
    now = datetime.now(UTC)
    async with resources.engine.begin() as connection:
        await connection.execute(insert(psychologists), [psychologist_to_row(psychologist, now)])
        await connection.execute(insert(patients), [patient_to_row(patient, now)])
    token = issue_token(
        secret=SECRET,
        subject=str(patient.subject),
        role=Role.PATIENT,
        ttl=timedelta(hours=1),
        now=now,
    )
    times = []
    try:
        async with app.router.lifespan_context(app):
            if delay is not None:
                await resources.notifications.webhooks.register(
                    ADMIN,
                    url=f"http://127.0.0.1:{receiver.port}/",
                    event_types=[],
                    description=None,
                )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                first = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
                for number in range(bookings):
                    times.append(await _book(client, resources, token, psychologist, first, number))
            waiting = resources.notifications.deliver_webhooks.count
            return Decisions(
                p50=statistics.median(times),
                p95=statistics.quantiles(times, n=20, method="inclusive")[-1],
                worst=max(times),
                deliveries_waiting=2 * bookings - waiting.delivered if delay else 0,
            )
    finally:
        await receiver.stop()


async def _book(
    client: httpx.AsyncClient,
    resources: Resources,
    token: str,
    psychologist: Psychologist,
    first: datetime,
    number: int,
) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/graphql",
        json={
            "query": REQUEST,
            "variables": {
                "input": {
                    "psychologistId": to_global_id("Psychologist", psychologist.id),
                    "scheduledAt": (first + timedelta(hours=number)).isoformat(),
                    "durationMinutes": 50,
                }
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    global_id = response.json()["data"]["requestAppointment"]["appointment"]["id"]
    _, appointment_id = from_global_id(global_id, argument="id")
    async with resources.pubsub.subscribe([appointment_channel(appointment_id)]) as events:
        query = select(appointments.c.status).where(appointments.c.id == appointment_id)
        async with resources.engine.connect() as connection:
            status = (await connection.execute(query)).scalar_one()
        while status == "PENDING":
            status = decode_event(await anext(events)).event.status.value
    assert status == "CONFIRMED", status
    return time.perf_counter() - started


async def database(cluster: Cluster, name: str) -> str:
    """A migrated database of its own for one scenario."""
    admin = await asyncpg.connect(cluster.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = cluster.url(name).replace("postgresql://", "postgresql+asyncpg://")
    await asyncio.to_thread(upgrade_to_head, url)
    return url


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


async def run(arguments: argparse.Namespace) -> str:
    cluster = Cluster(durable=True)
    cluster.start()
    try:
        rate = await deliveries_per_second(
            await database(cluster, "deliveries"), arguments.deliveries
        )
        quiet = await decisions_beside(await database(cluster, "quiet"), arguments.bookings, None)
        slow = await decisions_beside(
            await database(cluster, "slow"), arguments.bookings, arguments.slow_seconds
        )
        version = cluster.version()
    finally:
        cluster.stop()
    return (
        f"{HEADING}\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.notifications`, on "
        f"the code at {code_version()}; {version}, a private cluster with initdb's "
        "defaults; the receiver is an HTTP server in the same process (same 2 cores).\n\n"
        f"**Deliveries per worker.** {arguments.deliveries:,} pending deliveries (one "
        "endpoint, each of its own appointment, a body of about 600 bytes), sent by one "
        "worker's webhook loop (claimed 20 at a time, up to 50 in flight, each signed, "
        f"POSTed and recorded in its own transaction): **{rate:,.0f} deliveries/s**.\n\n"
        f"**Decisions beside a slow receiver.** {arguments.bookings} sessions requested one "
        "after another in the embedded mode (PostgreSQL, in-process queue and worker), each "
        "timed from sending `requestAppointment` to its CONFIRMED event; first with no "
        "endpoint, then with an endpoint for every event whose receiver answers each "
        f"delivery after {arguments.slow_seconds:g} s.\n\n"
        "| receiver | request → CONFIRMED p50 | p95 | max | deliveries not yet answered at the end |\n"
        "|---|---:|---:|---:|---:|\n"
        f"| none | {_ms(quiet.p50)} | {_ms(quiet.p95)} | {_ms(quiet.worst)} | - |\n"
        f"| answers after {arguments.slow_seconds:g} s | {_ms(slow.p50)} | {_ms(slow.p95)} | "
        f"{_ms(slow.worst)} | {slow.deliveries_waiting} |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--bookings", type=int, default=40)
    parser.add_argument("--slow-seconds", type=float, default=3.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-file", action="store_true", help="print only")
    arguments = parser.parse_args()
    section = asyncio.run(run(arguments))
    print(section)
    if not arguments.no_file:
        replace_section(arguments.results, HEADING, section)


if __name__ == "__main__":
    main()
