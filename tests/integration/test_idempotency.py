"""Idempotency keys as Stripe defines them: the same key with the same request answers with
the same appointment whatever has happened to it since; with another request, it is refused;
after its lifetime, the key is free again."""

from datetime import timedelta
from typing import Any

from builders import every_day
from graphql_client import APP_NOW, Api, running_api
from world import hours_from, node_id

REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    appointment { id status }
    userErrors { field code }
  }
}"""
BATCH = """
mutation($input: RequestAppointmentsInput!) {
  requestAppointments(input: $input) {
    results { index appointment { id status } userErrors { field code } }
  }
}"""


async def booking(
    api: Api, *, hours_ahead: float = 7 * 24
) -> tuple[dict[str, Any], tuple[str, str]]:
    """A valid keyed request a patient of their own makes, and that patient."""
    psychologist = await api.world.psychologist(working_hours=every_day())
    patient = await api.world.patient()
    assert patient.subject is not None
    start = hours_from(api.now, hours_ahead)
    item = {
        "psychologistId": node_id(psychologist),
        "scheduledAt": start.isoformat(),
        "durationMinutes": 50,
        "idempotencyKey": f"retry-{patient.subject}",
    }
    return item, ("patient", patient.subject)


async def request(api: Api, who: tuple[str, str], item: dict[str, Any]) -> dict[str, Any]:
    body = await api.query(REQUEST, as_=who, input=item)
    payload: dict[str, Any] = body["data"]["requestAppointment"]
    return payload


async def test_a_replay_after_the_worker_confirmed_returns_the_confirmed_appointment(
    api: Api,
) -> None:
    item, patient = await booking(api)
    first = await request(api, patient, item)
    assert first["userErrors"] == []
    assert await api.wait_for_status(first["appointment"]["id"], "CONFIRMED") == "CONFIRMED"

    again = await request(api, patient, item)
    assert again == {
        "appointment": {"id": first["appointment"]["id"], "status": "CONFIRMED"},
        "userErrors": [],
    }


async def test_a_replay_inside_a_batch_returns_the_confirmed_appointment(api: Api) -> None:
    item, patient = await booking(api)
    first = await request(api, patient, item)
    await api.wait_for_status(first["appointment"]["id"], "CONFIRMED")

    body = await api.query(BATCH, as_=patient, input={"appointments": [item, item]})
    results = body["data"]["requestAppointments"]["results"]
    assert [r["appointment"] for r in results] == [
        {"id": first["appointment"]["id"], "status": "CONFIRMED"}
    ] * 2
    assert [r["userErrors"] for r in results] == [[], []]


async def test_a_replay_after_the_notice_window_closed_returns_the_appointment(
    database_url: str,
) -> None:
    async with running_api(database_url) as api:
        item, patient = await booking(api, hours_ahead=30)
        first = await request(api, patient, item)
        assert first["userErrors"] == []
    # Ten hours later the session is less than the 24 hours' notice away.
    async with running_api(database_url, now=APP_NOW + timedelta(hours=10)) as later:
        again = await request(later, patient, item)
        assert again["userErrors"] == []
        assert again["appointment"]["id"] == first["appointment"]["id"]
        changed = await request(later, patient, {**item, "notes": "another request"})
        assert changed == {
            "appointment": None,
            "userErrors": [
                {"field": ["input", "idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}
            ],
        }


async def test_a_key_past_its_lifetime_makes_a_new_appointment(database_url: str) -> None:
    async with running_api(database_url, idempotency_key_hours=1) as api:
        item, patient = await booking(api)
        first = await request(api, patient, item)
        assert first["userErrors"] == []
    async with running_api(
        database_url, idempotency_key_hours=1, now=APP_NOW + timedelta(minutes=59)
    ) as soon:
        assert (await request(soon, patient, item))["appointment"]["id"] == first["appointment"][
            "id"
        ]
    async with running_api(
        database_url, idempotency_key_hours=1, now=APP_NOW + timedelta(hours=1)
    ) as later:
        later_start = hours_from(later.now, 8 * 24).isoformat()
        other = {**item, "scheduledAt": later_start, "notes": "a new request under the old key"}
        fresh = await request(later, patient, other)
        assert fresh["userErrors"] == []
        assert fresh["appointment"]["id"] != first["appointment"]["id"]
        assert (await request(later, patient, other))["appointment"]["id"] == fresh["appointment"][
            "id"
        ]
        first_now = await later.query(
            "query($id: ID!) { appointment(id: $id) { id } }", id=first["appointment"]["id"]
        )
        assert first_now["data"]["appointment"] == {"id": first["appointment"]["id"]}
