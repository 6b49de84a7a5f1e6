"""Admins manage webhook endpoints: register one (its secret shown once), rotate the secret
with an overlap, enable or disable, read the delivery log, deliver again."""

import re
import secrets as random_source
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from application.notification_ports import Delivery, Endpoint, OpenNotifications
from application.outcomes import Answer, Problem
from application.permissions import ADMINS_ONLY
from domain.viewer import Viewer
from domain.webhook_addresses import url_problem
from domain.webhook_signing import SECRET_BYTES, new_secret

EVENT_TYPE = re.compile(r"^appointment\.[a-z_]{1,60}$")
MAX_EVENT_TYPES = 50
MAX_DESCRIPTION = 500
MAX_OVERLAP = timedelta(days=7)
DEFAULT_OVERLAP = timedelta(hours=24)
NOT_FOUND = Problem("NOT_FOUND", ("id",), "No such webhook endpoint.")


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and its new secret: the one time the secret is shown."""

    endpoint: Endpoint
    secret: str


def _new_secret() -> str:
    return new_secret(random_source.token_bytes(SECRET_BYTES))


class WebhookAdmin:
    def __init__(
        self,
        *,
        open_store: OpenNotifications,
        clock: Callable[[], datetime],
        new_id: Callable[[], UUID],
        production: bool,
        on_redelivery: Callable[[], None] = lambda: None,
    ) -> None:
        self._open = open_store
        self._clock = clock
        self._new_id = new_id
        self._production = production
        self._on_redelivery = on_redelivery

    async def register(
        self, viewer: Viewer, *, url: str, event_types: Sequence[str], description: str | None
    ) -> Answer[WithSecret]:
        if not viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        problems = self._problems(url, event_types, description)
        if problems:
            return Answer.refused(*problems)
        now = self._clock()
        endpoint = Endpoint(
            id=self._new_id(),
            url=url,
            description=description,
            event_types=tuple(dict.fromkeys(event_types)),
            enabled=True,
            disabled_reason=None,
            created_at=now,
            updated_at=now,
        )
        secret = _new_secret()
        async with self._open() as store:
            await store.add_endpoint(endpoint, secret)
            await store.commit()
        return Answer(WithSecret(endpoint, secret))

    async def rotate_secret(
        self, viewer: Viewer, endpoint_id: UUID, *, overlap: timedelta | None
    ) -> Answer[WithSecret]:
        """A new secret signs from now on; the old one also signs for ``overlap``."""
        if not viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        overlap = DEFAULT_OVERLAP if overlap is None else overlap
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            return Answer.refused(
                Problem("INVALID_INPUT", ("overlapMinutes",), "The overlap is 0 to 7 days.")
            )
        now, secret = self._clock(), _new_secret()
        async with self._open() as store:
            endpoint = await store.endpoint(endpoint_id)
            if endpoint is None:
                return Answer.refused(NOT_FOUND)
            await store.rotate_secret(endpoint_id, secret, previous_until=now + overlap, at=now)
            await store.commit()
        rotated = replace(endpoint, previous_secret_until=now + overlap, updated_at=now)
        return Answer(WithSecret(rotated, secret))

    async def set_enabled(
        self, viewer: Viewer, endpoint_id: UUID, enabled: bool
    ) -> Answer[Endpoint]:
        """Disable an endpoint, or enable it again: its pending deliveries resume."""
        if not viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        now = self._clock()
        async with self._open() as store:
            if await store.endpoint(endpoint_id) is None:
                return Answer.refused(NOT_FOUND)
            await store.set_enabled(endpoint_id, enabled, at=now)
            changed = await store.endpoint(endpoint_id)
            await store.commit()
        if enabled:
            self._on_redelivery()
        return Answer(changed)

    async def redeliver(self, viewer: Viewer, delivery_id: UUID) -> Answer[Delivery]:
        if not viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        async with self._open() as store:
            if not await store.redeliver(delivery_id, at=self._clock()):
                return Answer.refused(
                    Problem("NOT_FOUND", ("deliveryId",), "No such webhook delivery.")
                )
            delivery = await store.delivery(delivery_id)
            await store.commit()
        self._on_redelivery()
        return Answer(delivery)

    async def endpoints(self, viewer: Viewer) -> list[Endpoint]:
        if not viewer.is_admin:
            return []
        async with self._open() as store:
            return await store.endpoints()

    async def deliveries(
        self,
        viewer: Viewer,
        *,
        endpoint_id: UUID | None = None,
        appointment_id: UUID | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        if not viewer.is_admin:
            return []
        async with self._open() as store:
            return await store.deliveries(
                endpoint_id=endpoint_id,
                appointment_id=appointment_id,
                status=status,
                limit=max(1, min(limit, 200)),
            )

    def _problems(
        self, url: str, event_types: Sequence[str], description: str | None
    ) -> list[Problem]:
        problems = []
        wrong_url = url_problem(url, production=self._production)
        if wrong_url:
            problems.append(Problem("INVALID_INPUT", ("url",), wrong_url))
        if len(event_types) > MAX_EVENT_TYPES:
            problems.append(
                Problem("INVALID_INPUT", ("eventTypes",), f"At most {MAX_EVENT_TYPES} types.")
            )
        for index, kind in enumerate(event_types):
            if not EVENT_TYPE.match(kind):
                problems.append(
                    Problem(
                        "INVALID_INPUT",
                        ("eventTypes", str(index)),
                        "An event type reads like appointment.confirmed.",
                    )
                )
        if description is not None and len(description) > MAX_DESCRIPTION:
            problems.append(
                Problem(
                    "INVALID_INPUT",
                    ("description",),
                    f"The description may have at most {MAX_DESCRIPTION} characters.",
                )
            )
        return problems
