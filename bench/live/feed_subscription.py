"""A psychologist's (or an admin's) appointmentEvents feed over graphql-transport-ws, as
the live bench's listeners open it."""

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.errors import BenchError

EVENTS = "subscription { appointmentEvents { appointmentId status occurredAt } }"


async def subscribe_to_events(url: str, token: str) -> ClientConnection:
    """The websocket, acknowledged and subscribed to ``EVENTS``; keep-alive pings off."""
    connection = await connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], ping_interval=None
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await connection.send(orjson.dumps(init).decode())
    ack = orjson.loads(await connection.recv())
    if ack["type"] != "connection_ack":
        raise BenchError(f"connection_init refused: {ack}")
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}
    await connection.send(orjson.dumps(subscribe).decode())
    return connection
