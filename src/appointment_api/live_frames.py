"""The text of websocket frames, with a live event's payload serialised once for all.

A result rendered once for many subscribers (``resolvers.event_rendering``) reaches each
of their operations as the same ``data`` object; only the operation's id differs between
their frames. The payload is serialised on first use and spliced into each frame. What is
remembered belongs to one GraphQL endpoint (``FrameTexts``), never to the process.
"""

from collections import OrderedDict
from collections.abc import Mapping

import orjson

# Payloads of recent events; a burst of distinct events needs no more than this.
KEPT = 1024


class FrameTexts:
    """One endpoint's frames: the serialised data of its recent shared results, bounded."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._serialised: OrderedDict[int, tuple[object, bytes]] = OrderedDict()

    def text(self, message: Mapping[str, object]) -> str:
        """``message`` as JSON text, reusing the serialised data of a shared result."""
        payload = message.get("payload")
        if (
            len(message) == 3
            and "id" in message
            and "type" in message
            and isinstance(payload, dict)
            and len(payload) == 1
            and isinstance(payload.get("data"), dict)
        ):
            data = self._serialised_data(payload["data"])
            head = orjson.dumps({"id": message["id"], "type": message["type"]})
            return (head[:-1] + b',"payload":{"data":' + data + b"}}").decode()
        return orjson.dumps(message).decode()

    def _serialised_data(self, data: object) -> bytes:
        kept = self._serialised.get(id(data))
        if kept is not None and kept[0] is data:
            return kept[1]
        text = orjson.dumps(data)
        # The data is held with its text, so its id is not reused while it is kept.
        self._serialised[id(data)] = (data, text)
        if len(self._serialised) > self._kept:
            self._serialised.popitem(last=False)
        return text
