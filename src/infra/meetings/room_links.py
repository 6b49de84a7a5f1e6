"""Links to rooms named by a random token under one base URL: what a self-hosted Jitsi Meet
(or meet.jit.si) opens as a room of that name, with nothing to set up beforehand."""

import secrets
from collections.abc import Callable

from domain.appointments import Appointment

# 128 random bits, in lowercase hex: a room name any Jitsi Meet accepts, nobody can guess.
TOKEN_BYTES = 16


class RoomLinks:
    def __init__(
        self, base_url: str, *, token: Callable[[], str] = lambda: secrets.token_hex(TOKEN_BYTES)
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token

    def link_for(self, appointment: Appointment) -> str:
        return f"{self._base}/session-{self._token()}"
