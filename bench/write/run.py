"""The write benchmark: the API against the floor, half the API's peak, then the full stack;
each deployment fresh from the stack launcher and stopped after."""

import asyncio
import subprocess
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

from bench.folders import work_folder
from bench.machine import describe
from bench.results_file import replace_section
from bench.write import report
from bench.write.observer import Observer
from bench.write.options import WriteOptions
from bench.write.phases import API, OPERATIONS, SINGLE, Closed, Steady, closed_loop, open_loop
from bench.write.schedule import Slots, bench_psychologists
from bench.write.stacks import FLOOR, deployed
from bench.write.wrk_bodies import BodiesWrk
from support.postgres import postgres_bindir

EXTRA_PACKAGES = ("aioboto3", "moto", "redis", "httpx")


def say(message: str) -> None:
    print(message, flush=True)


async def answering(
    workdir: Path, options: WriteOptions, outcomes: dict[str, dict[str, int]]
) -> tuple[list[Closed], Steady | None]:
    """Phases 1 and 2 on one deployment: one API (answering only) and the floor."""
    say("the API and the floor, closed loop")
    people = bench_psychologists(options.psychologists)
    closed: list[Closed] = []
    half: Steady | None = None
    async with deployed(workdir, people, apis=1, workers=0, floor=True, say=say) as stack:
        slots = Slots(people, date.today())
        wrk = BodiesWrk(workdir, stack.token, threads=options.threads)
        for operation in OPERATIONS:
            connections = options.connections if operation is SINGLE else options.batch_connections
            for server in (API, FLOOR):
                closed.append(
                    await closed_loop(
                        stack,
                        wrk,
                        slots,
                        operation,
                        server,
                        connections=connections,
                        warmup=options.warmup,
                        seconds=options.duration,
                        say=say,
                    )
                )
        if "half-peak" in options.phases:
            peak = report.api_peak(closed)
            say(f"requestAppointment at half the API's peak ({peak / 2:,.1f}/s)")
            half = await open_loop(
                stack,
                None,
                slots,
                rate=peak / 2,
                seconds=options.half_peak_seconds,
                poll_seconds=options.poll_ms / 1000,
                say=say,
            )
        observer = Observer(stack.database_url, on_postgres=True)
        try:
            outcomes["API and floor (no worker: all stay PENDING)"] = await observer.outcomes()
        finally:
            await observer.close()
    return closed, half


async def full_stack(
    workdir: Path, options: WriteOptions, outcomes: dict[str, dict[str, int]]
) -> Steady:
    say(f"the full stack at {options.stack_rate:g} requests/s")
    people = bench_psychologists(options.psychologists)
    async with deployed(workdir, people, apis=2, workers=2, floor=False, say=say) as stack:
        observer = Observer(stack.database_url, on_postgres=True)
        try:
            result = await open_loop(
                stack,
                observer,
                Slots(people, date.today()),
                rate=options.stack_rate,
                seconds=options.stack_seconds,
                poll_seconds=options.poll_ms / 1000,
                say=say,
            )
            outcomes["full stack"] = await observer.outcomes()
        finally:
            await observer.close()
    return result


async def measure(
    workdir: Path, options: WriteOptions, outcomes: dict[str, dict[str, int]]
) -> tuple[list[Closed], Steady | None, Steady | None]:
    closed: list[Closed] = []
    half = stack = None
    if "floor" in options.phases:
        closed, half = await answering(workdir, options, outcomes)
    if "stack" in options.phases:
        stack = await full_stack(workdir, options, outcomes)
    return closed, half, stack


def postgres_version() -> str:
    completed = subprocess.run(
        [str(postgres_bindir() / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def run(options: WriteOptions, command: str) -> None:
    started = datetime.now(UTC)
    outcomes: dict[str, dict[str, int]] = {}
    with ExitStack() as stack:
        workdir = work_folder(stack, "bench-write-")
        closed, half, steady = asyncio.run(measure(workdir, options, outcomes))
    postgres = f"{postgres_version()} (initdb defaults, track_commit_timestamp=on)"
    summary = report.Run(
        started=started,
        command=command,
        machine=describe(postgres, EXTRA_PACKAGES),
        options=options,
        closed=closed,
        half_peak=half,
        stack=steady,
        outcomes=outcomes,
    )
    say("\n" + report.tables(summary))
    if options.results is not None:
        replace_section(options.results, report.HEADING, report.section(summary))
        say(f"\nwritten to {options.results}")
