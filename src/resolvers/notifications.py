"""Notifications in the API: webhook endpoints and their delivery log (admins), and each
person's notification preferences."""

from datetime import datetime, timedelta
from enum import Enum
from typing import cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from application.notification_ports import Delivery, Endpoint
from application.outcomes import Problem
from domain.notices import Notice, Preferences
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode
from resolvers.mutation_input import user_errors, who
from resolvers.node_ids import expect_global_id, to_global_id
from resolvers.types.mutation_types import UserError

NotificationNotice = strawberry.enum(Notice, name="NotificationNotice")


@strawberry.enum(name="WebhookDeliveryStatus")
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    description: str | None
    event_types: list[str] = strawberry.field(description="Empty: every event type.")
    enabled: bool
    disabled_reason: str | None
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="After a rotation, the old secret also signs until then."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, endpoint: Endpoint) -> "WebhookEndpoint":
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", endpoint.id)),
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            previous_secret_valid_until=endpoint.previous_secret_until,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


@strawberry.type(name="WebhookDelivery", description="One event for one endpoint, all attempts.")
class WebhookDelivery:
    id: strawberry.ID
    message_id: str = strawberry.field(description="The webhook-id header, the same every attempt.")
    endpoint_id: strawberry.ID
    appointment_id: strawberry.ID
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: JSON

    @classmethod
    def from_domain(cls, delivery: Delivery) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", delivery.id)),
            message_id=f"msg_{delivery.id.hex}",
            endpoint_id=strawberry.ID(to_global_id("WebhookEndpoint", delivery.endpoint_id)),
            appointment_id=strawberry.ID(to_global_id("Appointment", delivery.appointment_id)),
            event_type=delivery.event_type,
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_attempt_at=delivery.last_attempt_at,
            response_status=delivery.response_status,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            payload=cast(JSON, delivery.payload),
        )


@strawberry.type(name="NotificationPreferences")
class NotificationPreferencesType:
    email_enabled: bool
    notices: list[NotificationNotice]  # type: ignore[valid-type]

    @classmethod
    def from_domain(cls, preferences: Preferences) -> "NotificationPreferencesType":
        return cls(
            email_enabled=preferences.email_enabled,
            notices=sorted(preferences.notices, key=list(Notice).index),
        )


@strawberry.input
class RegisterWebhookEndpointInput:
    url: str
    event_types: list[str] = strawberry.field(
        default_factory=list,
        description="e.g. appointment.confirmed; empty for every event type.",
    )
    description: str | None = None


@strawberry.type
class WebhookEndpointSecretPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_...): shown this once, never again."
    )
    user_errors: list[UserError]


@strawberry.input
class RotateWebhookSecretInput:
    endpoint_id: strawberry.ID
    overlap_minutes: int | None = strawberry.field(
        default=None, description="How long the old secret keeps signing too; 1440 by default."
    )


@strawberry.input
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    user_errors: list[UserError]


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None
    user_errors: list[UserError]


@strawberry.input
class NotificationPreferencesInput:
    email_enabled: bool | None = None
    notices: list[NotificationNotice] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Psychologists only: the notices they want by email."
    )


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferencesType | None
    user_errors: list[UserError]


def _admin(info: Info[Context, None]) -> None:
    if not info.context.require_viewer().is_admin:
        raise ClientError("Only an admin may read webhooks.", ErrorCode.FORBIDDEN)


def _key(global_id: str, type_name: str, field: str) -> UUID | Problem:
    try:
        return expect_global_id(global_id, type_name, argument=field)
    except ClientError as error:
        return Problem("INVALID_INPUT", (field,), error.message)


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Admins only.")
    async def webhook_endpoints(self, info: Info[Context, None]) -> list[WebhookEndpoint]:
        _admin(info)
        viewer = info.context.require_viewer()
        found = await info.context.services.notifying().webhooks.endpoints(viewer)
        return [WebhookEndpoint.from_domain(e) for e in found]

    @strawberry.field(description="Admins only: the delivery log, newest first (at most 200).")
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        endpoint_id: strawberry.ID | None = None,
        appointment_id: strawberry.ID | None = None,
        status: WebhookDeliveryStatus | None = None,
        first: int = 50,
    ) -> list[WebhookDelivery]:
        _admin(info)
        viewer = info.context.require_viewer()
        found = await info.context.services.notifying().webhooks.deliveries(
            viewer,
            endpoint_id=(
                expect_global_id(endpoint_id, "WebhookEndpoint", argument="endpointId")
                if endpoint_id
                else None
            ),
            appointment_id=(
                expect_global_id(appointment_id, "Appointment", argument="appointmentId")
                if appointment_id
                else None
            ),
            status=status.value if status else None,
            limit=first,
        )
        return [WebhookDelivery.from_domain(d) for d in found]

    @strawberry.field(description="The caller's own; null for an admin or one without a profile.")
    async def my_notification_preferences(
        self, info: Info[Context, None]
    ) -> NotificationPreferencesType | None:
        viewer = info.context.require_viewer()
        found = await info.context.services.notifying().preferences.get(viewer)
        return NotificationPreferencesType.from_domain(found) if found else None


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Admins only. The answer carries the secret, once.")
    async def register_webhook_endpoint(
        self, info: Info[Context, None], input: RegisterWebhookEndpointInput
    ) -> WebhookEndpointSecretPayload:
        viewer, _ = who(info)
        answer = await info.context.services.notifying().webhooks.register(
            viewer, url=input.url, event_types=input.event_types, description=input.description
        )
        made = answer.value
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_domain(made.endpoint) if made else None,
            secret=made.secret if made else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="Admins only. A new secret signs from now on (shown once); the old one "
        "also signs until the overlap ends, so receivers can switch without losing a message."
    )
    async def rotate_webhook_secret(
        self, info: Info[Context, None], input: RotateWebhookSecretInput
    ) -> WebhookEndpointSecretPayload:
        viewer, _ = who(info)
        key = _key(input.endpoint_id, "WebhookEndpoint", "endpointId")
        if isinstance(key, Problem):
            return WebhookEndpointSecretPayload(
                endpoint=None, secret=None, user_errors=user_errors([key])
            )
        overlap = (
            None if input.overlap_minutes is None else timedelta(minutes=input.overlap_minutes)
        )
        answer = await info.context.services.notifying().webhooks.rotate_secret(
            viewer, key, overlap=overlap
        )
        made = answer.value
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_domain(made.endpoint) if made else None,
            secret=made.secret if made else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="Admins only: its pending deliveries resume.")
    async def enable_webhook_endpoint(
        self, info: Info[Context, None], input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        return await _set_enabled(info, input, True)

    @strawberry.mutation(description="Admins only: nothing is sent to it until it is enabled.")
    async def disable_webhook_endpoint(
        self, info: Info[Context, None], input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        return await _set_enabled(info, input, False)

    @strawberry.mutation(description="Admins only: send a delivery again, with fresh attempts.")
    async def redeliver_webhook(
        self, info: Info[Context, None], input: RedeliverWebhookInput
    ) -> WebhookDeliveryPayload:
        viewer, _ = who(info)
        key = _key(input.delivery_id, "WebhookDelivery", "deliveryId")
        if isinstance(key, Problem):
            return WebhookDeliveryPayload(delivery=None, user_errors=user_errors([key]))
        answer = await info.context.services.notifying().webhooks.redeliver(viewer, key)
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="The caller's own: a patient turns email on or off; a psychologist also "
        "chooses the notices they get."
    )
    async def set_my_notification_preferences(
        self, info: Info[Context, None], input: NotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        viewer, _ = who(info)
        answer = await info.context.services.notifying().preferences.set(
            viewer, email_enabled=input.email_enabled, notices=input.notices
        )
        return NotificationPreferencesPayload(
            preferences=(
                NotificationPreferencesType.from_domain(answer.value) if answer.value else None
            ),
            user_errors=user_errors(answer.problems),
        )


async def _set_enabled(
    info: Info[Context, None], input: WebhookEndpointIdInput, enabled: bool
) -> WebhookEndpointPayload:
    viewer, _ = who(info)
    key = _key(input.endpoint_id, "WebhookEndpoint", "endpointId")
    if isinstance(key, Problem):
        return WebhookEndpointPayload(endpoint=None, user_errors=user_errors([key]))
    answer = await info.context.services.notifying().webhooks.set_enabled(viewer, key, enabled)
    return WebhookEndpointPayload(
        endpoint=WebhookEndpoint.from_domain(answer.value) if answer.value else None,
        user_errors=user_errors(answer.problems),
    )
