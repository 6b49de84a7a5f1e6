"""Websocket frames: a shared result's data is serialised once per endpoint, and what one
endpoint remembers is its own and bounded."""

import orjson

from appointment_api.live_frames import FrameTexts


def frame(operation: str, data: dict[str, object]) -> dict[str, object]:
    return {"id": operation, "type": "next", "payload": {"data": data}}


def test_a_frame_is_the_messages_json() -> None:
    message = frame("1", {"appointmentStatus": {"status": "CONFIRMED"}})
    assert orjson.loads(FrameTexts().text(message)) == message
    other = {"type": "complete", "id": "1"}
    assert orjson.loads(FrameTexts().text(other)) == other


def test_the_same_data_is_serialised_once_for_every_operation_of_one_endpoint() -> None:
    frames = FrameTexts()
    data: dict[str, object] = {"appointmentStatus": {"status": "CONFIRMED"}}
    first = frames.text(frame("1", data))
    # Rendered results are never changed once sent: a change shows what was reused.
    data["appointmentStatus"] = {"status": "CANCELLED"}

    assert orjson.loads(frames.text(frame("2", data))) == frame(
        "2", orjson.loads(first)["payload"]["data"]
    )
    assert orjson.loads(FrameTexts().text(frame("2", data))) == frame("2", data)


def test_an_endpoint_forgets_the_oldest_data_past_its_bound() -> None:
    frames = FrameTexts(kept=2)
    oldest, *newer = [{"n": n} for n in range(3)]
    for data in (oldest, *newer):
        frames.text(frame("1", data))
    oldest["n"] = 10
    newer[0]["n"] = 11

    # A kept one is reused as it was sent; the forgotten one is serialised anew.
    assert orjson.loads(frames.text(frame("1", newer[0])))["payload"]["data"] == {"n": 1}
    assert orjson.loads(frames.text(frame("1", oldest)))["payload"]["data"] == {"n": 10}
