"""The per-request context: the viewer, the services and fresh DataLoaders."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.rules import BookingPolicy
from domain.viewer import Viewer
from resolvers.errors import unauthenticated
from resolvers.ports import (
    AppointmentReads,
    AppointmentWrites,
    Authenticator,
    PeopleReads,
    StatusEventPublisher,
)

if TYPE_CHECKING:
    from resolvers.booking import RequestAppointments
    from resolvers.loaders import Loaders


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators, built once by the composition root."""

    appointments: AppointmentReads
    people: PeopleReads
    authenticator: Authenticator
    clock: Callable[[], datetime]
    policy: BookingPolicy
    request_appointments: "RequestAppointments"
    appointment_writes: AppointmentWrites
    status_events: StatusEventPublisher
    max_slot_window_days: int = 31


@dataclass
class Context:
    request: Any
    response: Any
    services: Services
    viewer: Viewer | None = None
    request_id: str = ""
    _loaders: "Loaders | None" = field(default=None, repr=False)

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise unauthenticated()
        return self.viewer

    @property
    def loaders(self) -> "Loaders":
        # Imported here: the loaders build the GraphQL types, which refer to this context.
        from resolvers.loaders import Loaders

        if self._loaders is None:
            self._loaders = Loaders(self.services, self.require_viewer())
        return self._loaders
