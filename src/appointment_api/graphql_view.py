"""The GraphQL endpoint: Strawberry's ASGI view with our context, JSON errors and GraphiQL."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import Gauge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from appointment_api.edge import transport_refusal_code
from appointment_api.graphiql import GraphiQLPresets, graphiql_response
from appointment_api.http_caching import cacheable
from appointment_api.live_frames import FrameTexts
from appointment_api.media_types import MediaType, negotiate, request_error_status
from appointment_api.persisted_documents import DocumentRefused, PersistedDocuments
from appointment_api.request_budget import timed_out
from appointment_api.request_shape import body_problem
from appointment_api.verified_tokens import VerifiedTokens
from domain.viewer import InvalidCredentials, Viewer
from resolvers.context import Context, Services
from resolvers.errors import ErrorCode
from resolvers.extensions import classify

ASSETS_URL = "/graphiql-assets"

log = logging.getLogger("appointment_api.websocket")
# Where a websocket's scope carries the task serving it, and whether it was dropped.
DROP_KEY = "appointment_api.connection"
DROPPED_KEY = "appointment_api.dropped"


def request_id_of(request: Request | WebSocket) -> str:
    return str(request.scope.get("state", {}).get("request_id") or uuid.uuid4())


class TextFrameWebSocket(ASGIWebSocketAdapter):
    """Both websocket protocols carry JSON in text frames; the view's encoder gives bytes."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        scope = self.ws.scope
        if scope.get(DROPPED_KEY):
            raise WebSocketDisconnected
        timeout = getattr(self.view, "send_timeout", None)
        try:
            async with asyncio.timeout(timeout):
                await self.ws.send_text(self._text(message))
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error
        except TimeoutError:
            # The peer stopped reading and its frames pile up in our buffers: it is dropped
            # (SUBSCRIBER_TOO_SLOW). Nobody else waited meanwhile: each subscriber writes
            # from its own task, and the fan-out only fills bounded mailboxes.
            log.warning(
                "websocket dropped: %s, a frame waited %g s for the peer to read",
                ErrorCode.SUBSCRIBER_TOO_SLOW.value,
                timeout,
                extra={"request_id": request_id_of(self.ws)},
            )
            scope[DROPPED_KEY] = True
            connection = scope.get(DROP_KEY)
            if isinstance(connection, asyncio.Task):
                connection.cancel()
            raise WebSocketDisconnected from None

    def _text(self, message: Mapping[str, object]) -> str:
        view = self.view
        if isinstance(view, AppointmentGraphQL):
            return view.frames.text(message)
        return orjson.dumps(message).decode()


class AppointmentGraphQL(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocket

    def __init__(
        self,
        *,
        services: Services,
        assets_dir: Path,
        graphiql: bool,
        open_websockets: Gauge | None = None,
        graphiql_presets: Callable[[], Awaitable[GraphiQLPresets]] | None = None,
        request_timeout: float | None = None,
        documents: PersistedDocuments | None = None,
        cache_seconds: int = 0,
        send_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        """``request_timeout``: seconds an HTTP operation may run before it is cancelled;
        ``documents``: the operations clients may send by hash; ``cache_seconds``: the
        max-age of GET answers; ``send_timeout``: seconds a websocket frame may wait for the
        peer to read before the connection is dropped."""
        super().__init__(graphql_ide="graphiql" if graphiql else None, **kwargs)
        self.services = services
        self.assets_dir = assets_dir
        self.open_websockets = open_websockets
        self.graphiql_presets = graphiql_presets
        self.request_timeout = request_timeout
        self.documents = documents or PersistedDocuments()
        self.cache_seconds = cache_seconds
        self.send_timeout = send_timeout
        # The serialised payloads of shared live results, this endpoint's own.
        self.frames = FrameTexts()
        self.tokens = VerifiedTokens(services.authenticator.authenticate)
        # slowapi (the flood guard) names each route by its endpoint's __name__.
        self.__name__ = "graphql"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self.open_websockets is None:
                await self._droppable(scope, receive, send)
                return
            with self.open_websockets.track_inprogress():
                await self._droppable(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media = negotiate(request.headers.get("accept"))
        request.state.media_type = media
        try:
            response = await self._run_in_time(request)
        except HTTPException as error:
            response = _request_error(error.reason, error.status_code, media)
        except DocumentRefused as refused:
            response = _refusal(refused, media)
        answer = _answered_as(media, request, response)
        await cacheable(request, answer, max_age=self.cache_seconds)(scope, receive, send)

    async def _droppable(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The websocket's protocol handler, cancelled when a write to a peer that stopped
        reading times out (it would otherwise wait for the peer's next message forever);
        returning lets the server close the transport."""
        connection = asyncio.current_task()
        scope[DROP_KEY] = connection
        try:
            await super().__call__(scope, receive, send)
        except asyncio.CancelledError:
            if connection is None or not scope.get(DROPPED_KEY) or connection.cancelling() > 1:
                raise
            connection.uncancel()

    async def _run_in_time(self, request: Request) -> Response:
        seconds = self.request_timeout
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                return await self.run(request)
        except TimeoutError:
            if seconds is None or not deadline.expired():
                raise
            log.warning(
                "operation stopped after %g s",
                seconds,
                extra={"request_id": request_id_of(request)},
            )
            error = timed_out(seconds)
            answer: dict[str, object] = {
                "errors": [{"message": error.message, "extensions": error.extensions}]
            }
            if _media_of(request) is MediaType.JSON:
                return JSONResponse({"data": None, **answer})
            return JSONResponse(answer, status_code=504)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        if isinstance(request, WebSocket):
            # The viewer comes with connection_init, checked by on_ws_connect.
            return Context(
                request=request,
                response=response,
                services=self.services,
                request_id=request_id_of(request),
                per_connection=True,
                over_websocket=True,
            )
        return Context(
            request=request,
            response=response,
            services=self.services,
            viewer=await self._viewer(request.headers.get("authorization")),
            request_id=request_id_of(request),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Both websocket protocols: the token is in the connection_init payload,
        ``{"Authorization": "Bearer <token>"}``; without a valid one the connection is
        refused (graphql-transport-ws closes with 4403, graphql-ws answers connection_error).
        """
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        try:
            if not isinstance(authorization, str):
                raise InvalidCredentials("no Authorization in the connection_init payload")
            context.viewer = await self.tokens.viewer(authorization)
        except InvalidCredentials as error:
            log.info(
                "websocket refused: %s", error.reason, extra={"request_id": context.request_id}
            )
            raise ConnectionRejectionError(
                {"message": "A valid bearer token is required.", "code": "UNAUTHENTICATED"}
            ) from None
        return UnsetType()

    async def _viewer(self, authorization: str | None) -> Viewer | None:
        if not authorization:
            return None
        try:
            return await self.tokens.viewer(authorization)
        except InvalidCredentials:
            return None

    async def render_graphql_ide(self, request: Request) -> Response:
        presets = await self.graphiql_presets() if self.graphiql_presets else None
        return graphiql_response(assets_dir=self.assets_dir, assets_url=ASSETS_URL, presets=presets)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Errors raised before the operation starts (a syntax error) bypass the schema's
        # extensions; classify them here too so that every error carries a code.
        if result.errors:
            request_id = request_id_of(request)
            result.errors = [classify(error, request_id) for error in result.errors]
        answer = await super().process_result(request, result)
        if _media_of(request) is MediaType.GRAPHQL_RESPONSE and _never_ran(result):
            # The spec's request error: no data entry, and a status that says why.
            answer.pop("data", None)
            request.state.request_error_status = request_error_status(
                str((error.extensions or {}).get("code")) for error in result.errors or []
            )
        return answer

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST" and "application/json" in (request.content_type or ""):
            # Strawberry reads members of whatever the body decodes to: a string, a number,
            # null or true would crash it, an object as operationName the metrics.
            problem = body_problem(self.parse_json(await request.get_body()))
            if problem is not None:
                raise HTTPException(400, problem)
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            data.query = self.documents.resolve(data.query, data.extensions)
        return data

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET that names its operation by hash alone is an operation, not a browser.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


def _request_error(reason: str, status_code: int, media: MediaType) -> JSONResponse:
    """Transport-level refusals still answer in the GraphQL shape, with a code."""
    code = transport_refusal_code(reason)
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": code.value}}]},
        status_code=status_code,
        media_type=media.value,
    )


def _refusal(refused: DocumentRefused, media: MediaType) -> JSONResponse:
    status = refused.status if media is MediaType.JSON else max(refused.status, 400)
    return JSONResponse(
        {"errors": [{"message": refused.message, "extensions": {"code": refused.code.value}}]},
        status_code=status,
        media_type=media.value,
    )


def _never_ran(result: ExecutionResult) -> bool:
    """Refused before any field ran (parse, validation, variables, the edge, the login
    check): no data, and no error belongs to a field."""
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def _answered_as(media: MediaType, request: Request, response: Response) -> Response:
    """A GraphQL answer in the negotiated media type, with the status of a request error
    under application/graphql-response+json; other answers (GraphiQL) as they are."""
    if not response.headers.get("content-type", "").startswith(tuple(MediaType)):
        return response
    response.headers["content-type"] = media.content_type
    status = getattr(request.state, "request_error_status", None)
    if status is not None and response.status_code == 200:
        response.status_code = status
    return response


def _media_of(request: Request) -> MediaType:
    media: MediaType = getattr(request.state, "media_type", MediaType.JSON)
    return media
