"""The write benchmark: one private PostgreSQL cluster, then each deployment in turn."""

import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from bench.machine import describe
from bench.postgres import Cluster
from bench.processes import work_folder
from bench.results_file import replace_section
from bench.write import report
from bench.write.observer import Observer
from bench.write.options import WriteOptions
from bench.write.phases import BATCH, SINGLE, ModeResult, closed_loop, steady
from bench.write.schedule import Slots, bench_psychologists
from bench.write.stacks import Mode, Stack, start_stack
from bench.write.wrk_bodies import BodiesWrk

# Commit times of the decisions, exactly, for the answer → CONFIRMED figure.
CLUSTER_SETTINGS = {"track_commit_timestamp": "on"}
EXTRA_PACKAGES = ("aioboto3", "moto", "aiosqlite", "httpx")


def say(message: str) -> None:
    print(message, flush=True)


@asynccontextmanager
async def fresh_deployment(
    mode: Mode, cluster: Cluster, workdir: Path, options: WriteOptions, outcomes: Counter[str]
) -> AsyncIterator[tuple[Stack, Observer, Slots]]:
    """``mode`` on an empty database (and, for the full stack, a new SQS server), stopped
    on leaving; the final statuses of its appointments are added to ``outcomes``."""
    people = bench_psychologists(options.psychologists)
    with ExitStack() as stack:
        deployed = await start_stack(stack, mode, cluster, workdir, people)
        observer = Observer(deployed.database_url, on_postgres=mode.on_postgres)
        try:
            yield deployed, observer, Slots(people, date.today())
            outcomes.update(await observer.outcomes())
        finally:
            await observer.close()


async def measure_mode(
    mode: Mode, cluster: Cluster, workdir: Path, options: WriteOptions
) -> ModeResult:
    """Each phase on its own fresh deployment: no phase inherits another's backlog, rows
    or queue state (moto, unlike SQS, slows down as it accumulates messages)."""
    say(mode.label)
    outcomes: Counter[str] = Counter()
    closed = []
    for operation, connections in (
        (SINGLE, options.connections),
        (BATCH, options.batch_connections),
    ):
        async with fresh_deployment(mode, cluster, workdir, options, outcomes) as (
            deployed,
            observer,
            slots,
        ):
            wrk = BodiesWrk(workdir, deployed.token, threads=options.threads)
            closed.append(
                await closed_loop(
                    deployed,
                    observer,
                    wrk,
                    slots,
                    operation,
                    connections=connections,
                    warmup=options.warmup,
                    seconds=options.duration,
                    say=say,
                )
            )
    held = []
    for rate in options.rates:
        async with fresh_deployment(mode, cluster, workdir, options, outcomes) as (
            deployed,
            observer,
            slots,
        ):
            held.append(
                await steady(
                    deployed,
                    observer,
                    slots,
                    rate=rate,
                    seconds=options.steady_seconds,
                    poll_seconds=options.poll_ms / 1000,
                    say=say,
                )
            )
    say(f"  outcomes: {dict(outcomes)}")
    return ModeResult(mode, closed, held, dict(outcomes))


async def measure_all(cluster: Cluster, workdir: Path, options: WriteOptions) -> list[ModeResult]:
    return [await measure_mode(mode, cluster, workdir, options) for mode in options.modes]


def run(options: WriteOptions, command: str) -> None:
    started = datetime.now(UTC)
    with ExitStack() as stack:
        workdir = work_folder(stack, "bench-write-")
        root = Path(tempfile.mkdtemp(prefix="bench-write-postgres-"))
        cluster = Cluster(root, keep=False, settings=CLUSTER_SETTINGS)
        stack.callback(cluster.stop)
        cluster.start()
        say(f"PostgreSQL on port {cluster.port} in {root}")
        results = asyncio.run(measure_all(cluster, workdir, options))
        postgres = f"{cluster.version()} (initdb defaults, track_commit_timestamp=on)"
    summary = report.Run(
        started=started,
        command=command,
        machine=describe(postgres, EXTRA_PACKAGES),
        options=options,
        results=results,
    )
    say("\n" + report.tables(summary))
    if options.results is not None:
        replace_section(options.results, report.HEADING, report.section(summary))
        say(f"\nwritten to {options.results}")
