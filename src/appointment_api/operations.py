"""Operator commands: create the queues; look at dead letters and send them back."""

import sys
from datetime import UTC, datetime

from appointment_api.bootstrap import operator_database
from infra.config import Settings
from infra.db.dead_letter_archive import (
    ArchivedLetter,
    archive_counts,
    archived_letters,
    redrive_archived,
)
from infra.queue.dead_letters import DeadLetter, list_dead_letters
from infra.queue.opening import open_queue
from infra.queue.sqs_admin import create_queues
from infra.queue.sqs_client import SqsEndpoint, sqs_client
from worker.ports import QueueUnavailable

BODY_SHOWN_CHARS = 200


def _urls(settings: Settings) -> tuple[str, str]:
    if not (settings.sqs_queue_url and settings.sqs_dlq_url):
        print(
            "configuration error: SQS_QUEUE_URL: set SQS_QUEUE_URL and SQS_DLQ_URL",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return settings.sqs_queue_url, settings.sqs_dlq_url


def _endpoint(settings: Settings) -> SqsEndpoint:
    return SqsEndpoint(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


async def create(settings: Settings) -> None:
    queue, dead_letters = _urls(settings)
    async with sqs_client(_endpoint(settings)) as client:
        urls = await create_queues(
            client,
            queue,
            dead_letters,
            max_receive_count=settings.sqs_max_receive_count,
            visibility_timeout_seconds=settings.sqs_visibility_timeout,
        )
    print(f"queue:             {urls.queue}")
    print(f"dead-letter queue: {urls.dead_letters}")


async def show_dead_letters(settings: Settings, limit: int) -> None:
    """The archive (newest first), then whatever still waits in the dead-letter queue."""
    async with operator_database(settings) as (engine, _):
        letters = await archived_letters(engine, limit=limit)
        counts = await archive_counts(engine)
    for letter in letters:
        print(_archived_line(letter))
    print(
        f"{len(letters)} of {counts.total} archived dead letter(s) shown, "
        f"{counts.not_redriven} not redriven"
    )
    if not settings.sqs_queue_url:
        # The in-process queue lives in the `dev`/`serve` process, which archives its letters.
        return
    try:
        waiting, total = await _waiting(settings, limit)
    except QueueUnavailable as error:
        print(f"dead-letter queue unavailable: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    for waiting_letter in waiting:
        print(_waiting_line(waiting_letter))
    print(
        f"{total} dead letter(s) in the dead-letter queue, not yet archived "
        f"({len(waiting)} shown; a running worker archives them)"
    )


async def _waiting(settings: Settings, limit: int) -> tuple[list[DeadLetter], int]:
    """Some of the letters in the dead-letter queue, left there, and how many it holds
    (those a worker is archiving at this moment included)."""
    async with open_queue(settings) as (_, dead_letters):
        shown = await list_dead_letters(dead_letters, limit)
        # SQS only approximates the count; it is never below what was just seen.
        return shown, max(len(shown), await dead_letters.count())


def _archived_line(letter: ArchivedLetter) -> str:
    redriven = letter.redriven_at.isoformat() if letter.redriven_at else "-"
    return (
        f"{letter.first_seen_at.isoformat()}  {letter.message_id}  "
        f"appointment={letter.appointment_id or '-'} ({letter.appointment_status or '-'})  "
        f"request_id={letter.request_id or '-'}  group={letter.group or '-'}  "
        f"received={letter.receive_count}  redriven={redriven}  reason={letter.reason}\n"
        f"    {_shortened(letter.body)}"
    )


def _waiting_line(letter: DeadLetter) -> str:
    request_id = letter.attributes.get("request_id", "-")
    return (
        f"waiting  {letter.message_id}  group={letter.group}  request_id={request_id}  "
        f"received={letter.receive_count}\n    {_shortened(letter.body)}"
    )


def _shortened(body: str) -> str:
    return body if len(body) <= BODY_SHOWN_CHARS else body[:BODY_SHOWN_CHARS] + "..."


async def redrive(settings: Settings, limit: int, *, decided_too: bool) -> None:
    async with operator_database(settings) as (engine, write_lock):
        letters = await redrive_archived(
            engine, write_lock, limit=limit, decided_too=decided_too, now=datetime.now(UTC)
        )
    for letter in letters:
        print(f"redriven  {letter.message_id}  appointment={letter.appointment_id}")
    print(f"{len(letters)} dead letter(s) queued again through the outbox")
