"""GraphQL websockets go straight to the endpoint, with their request id; the rest goes
through the app (and its HTTP middlewares) as before."""

from typing import Any

from starlette.types import Message, Receive, Scope, Send

from appointment_api.logs import current_request_id
from appointment_api.websocket_shortcut import WebSocketShortcut


class Recorder:
    def __init__(self) -> None:
        self.scopes: list[Scope] = []
        self.request_ids: list[str | None] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        self.request_ids.append(current_request_id.get())


async def receive() -> Message:
    return {"type": "websocket.connect"}


async def send(_: Message) -> None:
    return None


def scope(
    kind: str, path: str, headers: list[tuple[bytes, bytes]] | None = None, **extra: Any
) -> Scope:
    return {"type": kind, "path": path, "headers": headers or [], **extra}


async def test_a_graphql_websocket_reaches_the_endpoint_with_its_request_id() -> None:
    app, endpoint = Recorder(), Recorder()
    shortcut = WebSocketShortcut(app, path="/graphql", endpoint=endpoint)

    await shortcut(scope("websocket", "/graphql", [(b"x-request-id", b"abc-123")]), receive, send)

    assert app.scopes == []
    [served] = endpoint.scopes
    assert served["state"]["request_id"] == "abc-123"
    assert endpoint.request_ids == ["abc-123"]
    assert current_request_id.get() != "abc-123"


async def test_a_websocket_without_a_request_id_gets_a_new_one() -> None:
    endpoint = Recorder()
    shortcut = WebSocketShortcut(Recorder(), path="/graphql", endpoint=endpoint)

    await shortcut(scope("websocket", "/graphql"), receive, send)
    await shortcut(scope("websocket", "/graphql"), receive, send)

    first, second = (served["state"]["request_id"] for served in endpoint.scopes)
    assert first
    assert second
    assert first != second


async def test_http_and_other_websocket_paths_go_through_the_app() -> None:
    app, endpoint = Recorder(), Recorder()
    shortcut = WebSocketShortcut(app, path="/graphql", endpoint=endpoint)

    await shortcut(scope("http", "/graphql"), receive, send)
    await shortcut(scope("websocket", "/elsewhere"), receive, send)
    await shortcut(scope("lifespan", ""), receive, send)

    assert [s["type"] for s in app.scopes] == ["http", "websocket", "lifespan"]
    assert endpoint.scopes == []


async def test_the_path_is_matched_below_the_root_path() -> None:
    endpoint = Recorder()
    shortcut = WebSocketShortcut(Recorder(), path="/graphql", endpoint=endpoint)

    await shortcut(scope("websocket", "/api/graphql", root_path="/api"), receive, send)

    assert len(endpoint.scopes) == 1
