"""The full stack on this machine, without Docker: what compose.yaml runs, as child processes.

    .venv/bin/python scripts/stack.py run [--workdir DIR] [--graphiql]
    .venv/bin/python scripts/stack.py smoke [--workdir DIR]

Both start a private PostgreSQL cluster (initdb/pg_ctl), redis-server without
persistence and moto's SQS server, each on a free port of 127.0.0.1; then, once,
`appointment-api migrate`, `seed` and `queues create`; then two `serve` replicas and
two `worker` processes with the environment compose.yaml gives them (same variable
names; APP_ENV production unless set; a random JWT_SECRET unless set).

`run` prints the URLs, two tokens and where every log is, and stays in the
foreground until Ctrl-C or SIGTERM. `smoke` drives one booking through the stack
(a free slot, the request on replica 1, PENDING then CONFIRMED on a subscription on
replica 2, the list) and exits 0, or 1 with the end of every log. Both stop every
child (SIGTERM, a grace period, then SIGKILL) and remove the temporary folder; a
folder given with --workdir keeps the logs (the database goes with the cluster).
"""

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
# The launcher (support/launcher.py) and the websocket client (live_client.py) of the tests.
sys.path.insert(0, str(ROOT / "tests"))

from live_client import Operation, live_client  # noqa: E402
from support.launcher import (  # noqa: E402
    DEAD_LETTER_QUEUE_NAME,
    QUEUE_NAME,
    WORKER_GRACE_SECONDS,
    Stack,
    StackOptions,
    api_environment,
    app_environment,
    worker_environment,
)
from support.processes import ServiceError  # noqa: E402
from support.services import RedisServer  # noqa: E402

# What compose.yaml runs; tests/e2e/test_stack_script.py holds the two together (the
# launcher runs these commands).
MIGRATE = ["migrate"]
CREATE_QUEUES = ["queues", "create"]
SERVE = ["serve"]
WORK = ["worker"]
API_REPLICAS = 2
WORKERS = 2
DATABASE = "appointments"
DATABASE_USER = "appointments"
DECISION_WITHIN_SECONDS = 60.0
WATCH_SECONDS = 1.0
TOKEN_TTL = timedelta(hours=12)

__all__ = [
    "WORKER_GRACE_SECONDS",
    "RedisServer",
    "api_environment",
    "app_environment",
    "worker_environment",
]


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop everything (a BaseException, so no `except Exception` eats it)."""


class StackFailed(Exception):
    """The stack did not start, a process died, or the smoke saw something wrong."""


def say(message: str) -> None:
    print(message, flush=True)


def compose_options(graphiql: bool) -> StackOptions:
    """compose.yaml's deployment: APP_ENV production unless set, a random JWT_SECRET unless
    set, the database password compose uses unless POSTGRES_PASSWORD is set; plus the demo
    world, which the tokens and the smoke use (compose's database starts empty)."""
    return StackOptions(
        apis=API_REPLICAS,
        workers=WORKERS,
        app_env=os.environ.get("APP_ENV") or "production",
        seed=True,
        metrics=True,
        settings={"GRAPHIQL_ENABLED": "true", "INTROSPECTION_ENABLED": "true"} if graphiql else {},
        database=DATABASE,
        database_user=DATABASE_USER,
        database_password=os.environ.get("POSTGRES_PASSWORD") or "appointments",
        jwt_secret=os.environ.get("JWT_SECRET") or secrets.token_hex(32),
    )


def stack_for(workdir: Path, graphiql: bool = False) -> Stack:
    return Stack(workdir, compose_options(graphiql))


def tokens(stack: Stack) -> dict[str, str]:
    """Tokens for the demo world's admin-1 and patient-1, signed as `appointment-api token`
    would."""
    return {
        role: stack.deployment.run(
            f"token-{role}",
            "token",
            "--role",
            role,
            "--sub",
            subject,
            "--ttl",
            str(int(TOKEN_TTL.total_seconds())),
        ).strip()
        for role, subject in (("admin", "admin-1"), ("patient", "patient-1"))
    }


# --- the smoke: one booking through the stack ------------------------------------------------

SMOKE_PATIENT = "patient-1"
MINE = """
{ appointments(first: 100) {
    nodes { id status scheduledAt endsAt history { cursor } }
    pageInfo { hasNextPage }
} }"""
SLOTS = """
query($from: DateTime!, $to: DateTime!) {
  psychologists(first: 20, filter: {active: true}) {
    nodes {
      id name
      availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) {
        startsAt endsAt
      }
    }
  }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id status } userErrors { code message } }
}"""
EVENTS = """
subscription($after: String) {
  appointmentEvents(after: $after) { appointmentId status version }
}"""
STATUS = """
subscription($id: ID!) {
  appointmentStatus(appointmentId: $id) { status previousStatus rejectionReason version }
}"""
BUSY = {"PENDING", "CONFIRMED"}


async def graphql(url: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise StackFailed(f"{url}: HTTP {response.status_code}: {body}")
    data: dict[str, Any] = body["data"]
    return data


def free_slot(
    psychologists: list[dict[str, Any]], mine: list[dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    """The first slot offered that does not overlap one of the patient's own bookings."""
    busy = [
        (datetime.fromisoformat(a["scheduledAt"]), datetime.fromisoformat(a["endsAt"]))
        for a in mine
        if a["status"] in BUSY
    ]
    for psychologist in psychologists:
        for slot in psychologist["availableSlots"]:
            start = datetime.fromisoformat(slot["startsAt"])
            end = datetime.fromisoformat(slot["endsAt"])
            if all(end <= taken_from or start >= taken_to for taken_from, taken_to in busy):
                return psychologist, slot["startsAt"]
    raise StackFailed("no free slot offered in the next 30 days")


async def next_status(operation: Operation, appointment_id: str, deadline: float) -> dict[str, Any]:
    """The next event of this appointment on the operation (others are skipped)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        data = await operation.next_data(within=left)
        event: dict[str, Any] = next(iter(data.values()))
        if event.get("appointmentId", appointment_id) == appointment_id:
            return event


async def statuses_until_decided(
    operation: Operation, appointment_id: str, *, where: str, since: float
) -> list[str]:
    """The statuses it shows the appointment in, up to its decision; each one printed."""
    seen: list[str] = []
    deadline = since + DECISION_WITHIN_SECONDS
    while not seen or seen[-1] == "PENDING":
        try:
            event = await next_status(operation, appointment_id, deadline)
        except TimeoutError:
            raise StackFailed(
                f"{where}: no decision {DECISION_WITHIN_SECONDS:.0f} s after the request; "
                f"seen: {seen or 'nothing'}"
            ) from None
        seen.append(event["status"])
        say(
            f"   {where}: {event['status']} (version {event['version']}) "
            f"{time.monotonic() - since:.2f} s after the request"
        )
    return seen


async def smoke(stack: Stack, token: str) -> None:
    """As patient-1: a free slot, the request on replica 1, the news on replica 2, the list."""
    first, second = stack.apis[0].http_url, stack.apis[1].http_url
    now = datetime.now(UTC)
    window = {
        "from": (now + timedelta(days=2)).isoformat(),
        "to": (now + timedelta(days=30)).isoformat(),
    }
    listing = (await graphql(first, token, MINE))["appointments"]
    if listing["pageInfo"]["hasNextPage"]:
        raise StackFailed(f"{SMOKE_PATIENT} has more appointments than one page")
    mine = listing["nodes"]
    cursors = [event["cursor"] for a in mine for event in a["history"]]
    if not cursors:
        raise StackFailed(f"{SMOKE_PATIENT} has no history in the demo data: was it seeded?")
    found = await graphql(first, token, SLOTS, **window)
    psychologist, starts_at = free_slot(found["psychologists"]["nodes"], mine)
    say(f"1. availableSlots (replica 1): {psychologist['name']} is free at {starts_at}")

    ws_url = second.replace("http://", "ws://", 1) + "/graphql"
    async with live_client(ws_url, token=token) as client:
        # From a cursor of the past, the feed replays what follows it: the request's PENDING
        # cannot fall before the subscription listens.
        feed = await client.subscribe(EVENTS, after=cursors[-1])
        say(f"2. appointmentEvents(after:) open on replica 2 ({ws_url}), {SMOKE_PATIENT}'s feed")
        requested = time.monotonic()
        item = {"psychologistId": psychologist["id"], "scheduledAt": starts_at}
        payload = (await graphql(first, token, REQUEST, input=item))["requestAppointment"]
        if payload["userErrors"] or payload["appointment"]["status"] != "PENDING":
            raise StackFailed(f"requestAppointment was not accepted: {payload}")
        appointment_id = payload["appointment"]["id"]
        say(f"3. requestAppointment (replica 1): {appointment_id} PENDING")
        status = await client.subscribe(STATUS, id=appointment_id)
        say("4. appointmentStatus open on replica 2")
        say("5. what replica 2 sends:")
        # Both read at once: each line is printed as it arrives.
        from_feed, from_status = await asyncio.gather(
            statuses_until_decided(
                feed, appointment_id, where="appointmentEvents", since=requested
            ),
            statuses_until_decided(
                status, appointment_id, where="appointmentStatus", since=requested
            ),
        )
        await feed.stop()
        await status.stop()
    if from_feed != ["PENDING", "CONFIRMED"]:
        raise StackFailed(f"appointmentEvents showed {from_feed}, not PENDING then CONFIRMED")
    # appointmentStatus starts with the current state: PENDING, unless the worker was faster.
    if from_status not in (["PENDING", "CONFIRMED"], ["CONFIRMED"]):
        raise StackFailed(f"appointmentStatus showed {from_status}, not the decision CONFIRMED")

    listed = (await graphql(first, token, MINE))["appointments"]["nodes"]
    ours = [a for a in listed if a["id"] == appointment_id]
    if [a["status"] for a in ours] != ["CONFIRMED"]:
        raise StackFailed(f"appointments (replica 1) does not list it CONFIRMED: {ours}")
    say(f"6. appointments (replica 1): {appointment_id} CONFIRMED at {ours[0]['scheduledAt']}")


# --- the two modes -----------------------------------------------------------------------------


def print_stack(stack: Stack, graphiql: bool, signed: dict[str, str]) -> None:
    shown = "GraphiQL" if graphiql else "GraphiQL off (--graphiql turns it on)"
    endpoints = stack.endpoints
    say("")
    say(f"The stack is up (APP_ENV={stack.options.app_env}), in {stack.workdir}:")
    for number, api in enumerate(stack.apis, start=1):
        say(f"  API replica {number}   {api.graphql_url}   ({shown}; {api.ws_url})")
    say(f"  PostgreSQL      {stack.database_url}")
    say(f"  Redis           {endpoints.redis_url}")
    queues = f"{QUEUE_NAME}, {DEAD_LETTER_QUEUE_NAME}"
    say(f"  SQS (moto)      {endpoints.sqs_endpoint}   queues {queues}")
    hours = TOKEN_TTL // timedelta(hours=1)
    say(f'Tokens ({hours} h), as the header {{"Authorization": "Bearer <token>"}}:')
    for role, subject in (("admin", "admin-1"), ("patient", "patient-1")):
        say(f"  {role:<8} {subject:<10} {signed[role]}")
    say("Logs:")
    for name, path in stack.logs():
        say(f"  {name:<14} {path}")
    say("Ctrl-C (or SIGTERM) stops everything.")


def _raise_interrupted(signum: int, _: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise Interrupted inside the block; ignored after it, so the
    cleanup that follows runs to its end."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stopping:
        signal.signal(signum, _raise_interrupted)
    try:
        yield
    finally:
        for signum in stopping:
            signal.signal(signum, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("mode", choices=["run", "smoke"], nargs="?", default="run")
    parser.add_argument("--workdir", type=Path, help="folder for the logs and the database (kept)")
    parser.add_argument(
        "--graphiql",
        action="store_true",
        help="turn GraphiQL and introspection on (GRAPHIQL_ENABLED, INTROSPECTION_ENABLED); "
        "compose.yaml leaves them as APP_ENV says",
    )
    args = parser.parse_args(argv)

    temporary = args.workdir is None
    if temporary:
        workdir = Path(tempfile.mkdtemp(prefix="appointment-stack-"))
        # As root the cluster runs as the `postgres` user, who must reach its folder inside.
        workdir.chmod(0o755)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    stack = stack_for(workdir, args.graphiql)
    say(f"stack folder: {workdir}")
    started = time.monotonic()
    failure: str | None = None
    interrupted = False
    try:
        with stopped_by_signals():
            try:
                stack.start(say)
                signed = tokens(stack)
                if args.mode == "run":
                    print_stack(stack, args.graphiql, signed)
                    while True:
                        # compose would restart a process that stopped by itself; we stop.
                        stack.check_alive()
                        time.sleep(WATCH_SECONDS)
                else:
                    asyncio.run(smoke(stack, signed["patient"]))
            except Interrupted as signum:
                interrupted = True
                say(f"\n{signum}: stopping everything")
            except (StackFailed, ServiceError, subprocess.TimeoutExpired) as error:
                failure = str(error)
    finally:
        if failure is not None:
            say(f"\nFAILED: {failure}\n\nThe end of each log:\n{stack.report()}")
        problems = stack.stop()
    for problem in problems:
        say(f"not a clean stop: {problem}")
    clean = failure is None and not problems
    if temporary and clean:
        shutil.rmtree(workdir, ignore_errors=True)
    elif temporary:
        say(f"logs kept in {workdir}")
    elapsed = time.monotonic() - started
    if args.mode == "smoke":
        passed = clean and not interrupted
        say(f"smoke {'passed' if passed else 'FAILED'} in {elapsed:.1f} s; everything stopped")
        return 0 if passed else 1
    say(f"stack stopped after {elapsed:.1f} s")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
