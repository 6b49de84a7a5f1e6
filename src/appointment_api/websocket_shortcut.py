"""The GraphQL websocket, taken straight to its endpoint past the HTTP middlewares.

Security headers, CORS, the flood guard and the body limit act on HTTP requests only and
pass a websocket through untouched; each would still hold a coroutine (and its wrappers)
for the whole life of the connection, and pass every frame it sends through them. A
subscription's socket lives for hours, and thousands are open at once: the shortcut keeps
what websockets need from the stack (the request id, in the scope and in the log lines)
and nothing else.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from appointment_api.logs import current_request_id
from appointment_api.request_id import assign_request_id


class WebSocketShortcut:
    def __init__(self, app: ASGIApp, *, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or route_path(scope) != self.path:
            await self.app(scope, receive, send)
            return
        token = current_request_id.set(assign_request_id(scope))
        try:
            await self.endpoint(scope, receive, send)
        finally:
            current_request_id.reset(token)


def route_path(scope: Scope) -> str:
    """The path the router matches: without the root path the server is mounted at."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
