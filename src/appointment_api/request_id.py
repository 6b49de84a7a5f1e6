"""A request id for every HTTP request and websocket.

The caller's ``X-Request-ID`` when sane, else the trace id of a W3C ``traceparent``,
else a new one. It is put in the ASGI scope (for the GraphQL context) and in the
logging context variable (for every log line written while serving the request).
"""

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appointment_api.logs import current_request_id

_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# version "-" trace-id "-" parent-id "-" flags; an all-zero trace id is invalid.
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def choose_request_id(incoming: str | None, traceparent: str | None = None) -> str:
    if incoming and _SANE.match(incoming):
        return incoming
    if traceparent and (match := _TRACEPARENT.match(traceparent.strip().lower())):
        return match.group(1)
    return str(uuid.uuid4())


def assign_request_id(scope: Scope) -> str:
    """The request id of ``scope``, chosen from its headers and kept in its state."""
    headers = Headers(scope=scope)
    request_id = choose_request_id(headers.get("x-request-id"), headers.get("traceparent"))
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = assign_request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
