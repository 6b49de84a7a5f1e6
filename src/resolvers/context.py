"""The per-operation context: the viewer, the services and fresh DataLoaders."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from application.event_stream import EventStream
from application.free_slots import FreeSlots
from application.notification_preferences import NotificationPreferencesHandler
from application.use_cases import UseCases
from application.webhook_admin import WebhookAdmin
from domain.policy import BookingPolicy
from domain.viewer import Viewer
from resolvers.errors import ClientError, ErrorCode, unauthenticated
from resolvers.ports import (
    AppointmentReads,
    Authenticator,
    CalendarReads,
    EventHistory,
    LifecycleReads,
    PeopleReads,
)

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass(frozen=True)
class NotificationServices:
    webhooks: WebhookAdmin
    preferences: NotificationPreferencesHandler


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators, built once by the composition root: the read side, and the
    use cases the mutations call."""

    appointments: AppointmentReads
    people: PeopleReads
    authenticator: Authenticator
    clock: Callable[[], datetime]
    policy: BookingPolicy
    use_cases: UseCases
    event_stream: EventStream
    event_history: EventHistory
    calendars: CalendarReads
    free_slots: FreeSlots
    lifecycle: LifecycleReads
    max_slot_window_days: int = 31
    notifications: NotificationServices | None = None

    def notifying(self) -> NotificationServices:
        if self.notifications is None:
            raise RuntimeError("notifications are not wired in these services")
        return self.notifications


def token_expired() -> ClientError:
    return ClientError(
        "Your token has expired: connect again with a fresh one.", ErrorCode.UNAUTHENTICATED
    )


# Slotted: every open websocket holds one for its connection and one per operation.
@dataclass(slots=True)
class Context:
    request: Any
    response: Any
    services: Services
    viewer: Viewer | None = None
    request_id: str = ""
    # Filled in by the websocket protocols from the connection_init payload.
    connection_params: dict[str, Any] | None = None
    # A websocket connection has one context; each of its operations runs on a copy.
    per_connection: bool = False
    over_websocket: bool = False
    credentials_expired: bool = False
    _loaders: "Loaders | None" = field(default=None, repr=False)

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise token_expired() if self.credentials_expired else unauthenticated()
        return self.viewer

    def for_operation(self) -> "Context":
        """A copy for one operation of a connection: its own DataLoaders, and no viewer
        once the connection's token has expired."""
        expires_at = self.viewer.expires_at if self.viewer else None
        if expires_at is not None and expires_at <= datetime.now(UTC):
            return replace(
                self, viewer=None, credentials_expired=True, per_connection=False, _loaders=None
            )
        return replace(self, per_connection=False, _loaders=None)

    def forget_loaded(self) -> None:
        """Load afresh from here on: a subscription's next event must not see stale values."""
        self._loaders = None

    @property
    def loaders(self) -> "Loaders":
        # Imported here: the loaders build the GraphQL types, which refer to this context.
        from resolvers.loaders import Loaders

        if self._loaders is None:
            self._loaders = Loaders(self.services, self.require_viewer())
        return self._loaders
