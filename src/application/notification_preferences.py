"""A person's notification preferences: a patient turns email on or off; a psychologist
also chooses which notices they get."""

from collections.abc import Callable, Sequence
from datetime import datetime

from application.notification_ports import OpenNotifications
from application.outcomes import Answer, Problem
from domain.notices import Notice, Preferences
from domain.viewer import Role, Viewer

NO_PROFILE = Problem(
    "FORBIDDEN", (), "Only a patient or a psychologist with a profile has preferences."
)
NOTICES_FOR_PSYCHOLOGISTS = Problem(
    "INVALID_INPUT",
    ("notices",),
    "Only a psychologist chooses notices; a patient turns email on or off.",
)


class NotificationPreferencesHandler:
    def __init__(self, *, open_store: OpenNotifications, clock: Callable[[], datetime]) -> None:
        self._open = open_store
        self._clock = clock

    async def get(self, viewer: Viewer) -> Preferences | None:
        if viewer.role is Role.ADMIN:
            return None
        async with self._open() as store:
            person = await store.person_id(viewer.role, viewer.subject)
            if person is None:
                return None
            return (await store.preferences([person])).get(person, Preferences())

    async def set(
        self, viewer: Viewer, *, email_enabled: bool | None, notices: Sequence[Notice] | None
    ) -> Answer[Preferences]:
        if viewer.role is Role.ADMIN:
            return Answer.refused(NO_PROFILE)
        if notices is not None and viewer.role is not Role.PSYCHOLOGIST:
            return Answer.refused(NOTICES_FOR_PSYCHOLOGISTS)
        async with self._open() as store:
            person = await store.person_id(viewer.role, viewer.subject)
            if person is None:
                return Answer.refused(NO_PROFILE)
            current = (await store.preferences([person])).get(person, Preferences())
            chosen = Preferences(
                email_enabled=current.email_enabled if email_enabled is None else email_enabled,
                notices=current.notices if notices is None else frozenset(notices),
            )
            await store.set_preferences(person, chosen, at=self._clock())
            await store.commit()
        return Answer(chosen)
