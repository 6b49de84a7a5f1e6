"""The ``appointment-api`` command line."""

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.viewer import Role
from infra.config import Settings

DEMO_TOKENS = (("admin", "admin-1"), ("patient", "patient-1"), ("psychologist", "psychologist-1"))


def load_settings() -> Settings:
    """Settings from the environment, or one line naming the bad variable and exit 2."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else ""
        message = first["msg"].removeprefix("Value error, ")
        print(f"configuration error: {name + ': ' if name else ''}{message}", file=sys.stderr)
        raise SystemExit(2) from None


def _migrate(settings: Settings) -> None:
    from infra.db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)


async def _seed_if_empty(settings: Settings) -> bool:
    from appointment_api.bootstrap import operator_database
    from infra.db.demo_data import is_empty, seed_demo_world

    async with operator_database(settings) as (engine, _):
        if not await is_empty(engine):
            return False
        await seed_demo_world(engine, now=datetime.now(UTC))
        return True


async def _example_variables(settings: Settings) -> dict[str, str]:
    from appointment_api.bootstrap import build_resources, build_services
    from appointment_api.dev_examples import example_variables

    resources = build_resources(settings)
    try:
        return await example_variables(build_services(resources))
    finally:
        await resources.close()


def _mint(settings: Settings, role: str, subject: str, ttl: timedelta) -> str:
    from infra.auth import issue_token

    secret = settings.effective_jwt_secret
    if secret is None:
        print(
            "configuration error: JWT_SECRET: tokens can only be minted with a secret",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return issue_token(
        secret=secret,
        subject=subject,
        role=Role(role.upper()),
        ttl=ttl,
        now=datetime.now(UTC),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def _serve(settings: Settings) -> None:
    import uvicorn

    problem = settings.api_metrics_problem()
    if problem is not None:
        print(f"configuration error: {problem}", file=sys.stderr)
        raise SystemExit(2)

    _configure_logging()
    from appointment_api.bootstrap import create_app
    from appointment_api.gc_tuning import tune_garbage_collector

    app = create_app(settings)
    tune_garbage_collector()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        # Our handlers, set up above, format uvicorn's lines too.
        log_config=None,
        proxy_headers=False,
        **websocket_options(settings),
    )


def websocket_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's websocket settings, chosen for many idle subscribers (README: "Live updates
    at scale"): the sans-I/O implementation (no tasks of its own per connection), with
    lighter buffers while idle, compression only when configured, a bounded message size,
    a ping interval."""
    from appointment_api.websocket_protocol import LeanWebSocketProtocol

    return {
        "ws": LeanWebSocketProtocol,
        "ws_per_message_deflate": settings.ws_per_message_deflate,
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": settings.ws_ping_interval_seconds or None,
        "ws_ping_timeout": settings.ws_ping_timeout_seconds,
    }


def cmd_dev(_: argparse.Namespace) -> None:
    settings = load_settings()
    _migrate(settings)
    seeded = asyncio.run(_seed_if_empty(settings))
    url = f"http://{settings.host}:{settings.port}/graphql"
    print(f"demo data: {'created' if seeded else 'already present'} in {settings.database_url}")
    print(f"GraphiQL: {url}")
    print('Paste one of these as the header {"Authorization": "Bearer <token>"}:')
    for role, subject in DEMO_TOKENS:
        print(f"  {role:<13} {subject:<15} {_mint(settings, role, subject, timedelta(hours=12))}")
    variables = asyncio.run(_example_variables(settings))
    if variables:
        print("The README's examples take these variables (GraphiQL opens with them):")
        print(f"  {json.dumps(variables)}")
    sys.stdout.flush()
    _serve(settings)


def cmd_serve(args: argparse.Namespace) -> None:
    settings = load_settings()
    if args.ws_per_message_deflate:
        settings = settings.model_copy(update={"ws_per_message_deflate": True})
    _serve(settings)


def cmd_migrate(_: argparse.Namespace) -> None:
    _migrate(load_settings())
    print("database is at the newest schema")


def cmd_seed(_: argparse.Namespace) -> None:
    settings = load_settings()
    seeded = asyncio.run(_seed_if_empty(settings))
    print("demo data created" if seeded else "database already has data: nothing seeded")


def cmd_token(args: argparse.Namespace) -> None:
    print(_mint(load_settings(), args.role, args.sub, timedelta(seconds=args.ttl)))


def cmd_worker(_: argparse.Namespace) -> None:
    from appointment_api.bootstrap import build_resources
    from appointment_api.worker_runtime import run_worker

    settings = load_settings()
    _configure_logging()
    asyncio.run(run_worker(build_resources(settings)))


def cmd_queues_create(_: argparse.Namespace) -> None:
    from appointment_api.operations import create

    asyncio.run(create(load_settings()))


def cmd_dlq_list(args: argparse.Namespace) -> None:
    from appointment_api.operations import show_dead_letters

    asyncio.run(show_dead_letters(load_settings(), args.limit))


def cmd_dlq_redrive(args: argparse.Namespace) -> None:
    from appointment_api.operations import redrive

    asyncio.run(redrive(load_settings(), args.limit, decided_too=args.all))


def _configure_logging() -> None:
    from appointment_api.logs import configure_logging

    # A person at a terminal reads text; a log collector reads one JSON object a line.
    configure_logging(json_lines=not sys.stderr.isatty())


def cmd_export_schema(args: argparse.Namespace) -> None:
    from resolvers.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output is None:
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appointment-api",
        description="GraphQL API for booking sessions with psychologists. "
        "Configuration comes from environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    add("dev", cmd_dev, "Embedded mode: migrate, seed demo data when empty, print tokens, serve.")
    serve = add("serve", cmd_serve, "Serve the API on HOST:PORT.")
    serve.add_argument(
        "--ws-per-message-deflate",
        action="store_true",
        help="offer permessage-deflate on websockets (WS_PER_MESSAGE_DEFLATE; off by default)",
    )
    add("migrate", cmd_migrate, "Bring the database to the newest schema.")
    add("seed", cmd_seed, "Create the deterministic demo world in an empty database.")
    token = add("token", cmd_token, "Print a signed development token (needs JWT_SECRET).")
    token.add_argument("--role", required=True, choices=[r.value.lower() for r in Role])
    token.add_argument("--sub", required=True, help="the subject, e.g. patient-1")
    token.add_argument(
        "--ttl", type=int, default=3600, help="seconds until it expires (default 3600)"
    )
    export = add("export-schema", cmd_export_schema, "Print the GraphQL schema (SDL).")
    export.add_argument("--output", "-o", help="write to this file instead of stdout")
    add("worker", cmd_worker, "Relay the outbox to the queue and decide requests, until SIGTERM.")
    queues = commands.add_parser(
        "queues", help="Manage the SQS queues.", description="Manage the SQS queues."
    )
    queue_commands = queues.add_subparsers(dest="queues_command", required=True, metavar="ACTION")
    create = queue_commands.add_parser(
        "create", help="Create the FIFO queue and its dead-letter queue (idempotent)."
    )
    create.set_defaults(handler=cmd_queues_create)
    dlq = commands.add_parser(
        "dlq",
        help="Inspect or redrive dead letters.",
        description="Inspect or redrive dead letters. The worker archives each dead letter "
        "in the database and rejects its request with PROCESSING_FAILED.",
    )
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    listing = dlq_commands.add_parser(
        "list",
        help="Show the archived dead letters, newest first, and those still in the queue.",
        description="Show the archived dead letters, newest first, and those still waiting "
        "in the dead-letter queue (left in place).",
    )
    listing.add_argument("--limit", type=_positive, default=20, help="at most this many (20)")
    listing.set_defaults(handler=cmd_dlq_list)
    redriving = dlq_commands.add_parser(
        "redrive",
        help="Queue archived dead letters again, oldest first, through the outbox.",
        description="Queue archived dead letters again, oldest first, through the outbox, "
        "and mark them redriven. Only those whose appointment is still PENDING, unless "
        "--all. Unreadable letters are never sent back.",
    )
    redriving.add_argument("--limit", type=_positive, default=10, help="at most this many (10)")
    redriving.add_argument(
        "--all",
        action="store_true",
        help="also letters whose appointment is already decided (the worker acknowledges them)",
    )
    redriving.set_defaults(handler=cmd_dlq_redrive)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
