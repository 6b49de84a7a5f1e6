"""Limits that count per operation and per patient, whatever shape the operation takes."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from builders import every_day
from graphql_client import Api, codes, running_api
from infra.db.tables import appointments
from world import node_id

BATCH_FIELDS = """
mutation($a: RequestAppointmentsInput!, $b: RequestAppointmentsInput!) {
  first: requestAppointments(input: $a) { acceptedCount results { userErrors { code } } }
  second: requestAppointments(input: $b) { acceptedCount results { userErrors { code } } }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id } userErrors { code field } }
}"""
BATCH = """
mutation($input: RequestAppointmentsInput!) {
  requestAppointments(input: $input) {
    acceptedCount failedCount results { index userErrors { code field } }
  }
}"""


async def stored(api: Api) -> int:
    async with api.resources.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(appointments))
    return int(count or 0)


async def items(api: Api, count: int) -> list[dict[str, Any]]:
    """``count`` valid requests, a week ahead, every hour of a psychologist's days."""
    psychologist = await api.world.psychologist(working_hours=every_day())
    start = api.now.replace(hour=0, minute=0) + timedelta(days=7)
    return [
        {
            "psychologistId": node_id(psychologist),
            "scheduledAt": (start + timedelta(hours=n)).isoformat(),
            "durationMinutes": 50,
        }
        for n in range(count)
    ]


async def a_patient(api: Api) -> tuple[str, str]:
    patient = await api.world.patient()
    assert patient.subject is not None
    return ("patient", patient.subject)


async def test_two_batch_fields_past_100_requests_are_refused_and_store_nothing(
    api: Api,
) -> None:
    wanted = await items(api, 120)
    body = await api.query(
        BATCH_FIELDS,
        as_=await a_patient(api),
        a={"appointments": wanted[:60]},
        b={"appointments": wanted[60:]},
    )
    assert codes(body) == ["TOO_MANY_APPOINTMENT_REQUESTS"]
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["maximum"] == 100
    assert await stored(api) == 0


async def test_aliases_spread_from_fragments_count_toward_the_same_limit(api: Api) -> None:
    wanted = await items(api, 4)
    aliases = " ".join(
        f"a{n}: requestAppointments(input: $input) {{ acceptedCount }}" for n in range(26)
    )
    body = await api.query(
        f"mutation($input: RequestAppointmentsInput!) {{ ...Many }} fragment Many on Mutation {{ {aliases} }}",
        as_=await a_patient(api),
        input={"appointments": wanted},
    )
    assert codes(body) == ["TOO_MANY_APPOINTMENT_REQUESTS"]
    assert await stored(api) == 0


async def test_items_in_a_literal_input_and_single_requests_are_counted_too(api: Api) -> None:
    wanted = await items(api, 1)
    singles = " ".join(f"s{n}: requestAppointment(input: $one) {{ __typename }}" for n in range(11))
    body = await api.query(
        "mutation($many: [RequestAppointmentInput!]!, $one: RequestAppointmentInput!) {"
        f" requestAppointments(input: {{appointments: $many}}) {{ acceptedCount }} {singles} }}",
        as_=await a_patient(api),
        many=wanted * 90,
        one=wanted[0],
    )
    assert codes(body) == ["TOO_MANY_APPOINTMENT_REQUESTS"]
    assert await stored(api) == 0


async def test_100_requests_over_two_fields_are_taken(api: Api) -> None:
    wanted = await items(api, 100)
    body = await api.query(
        BATCH_FIELDS,
        as_=await a_patient(api),
        a={"appointments": wanted[:50]},
        b={"appointments": wanted[50:]},
    )
    assert "errors" not in body, body
    assert body["data"]["first"]["acceptedCount"] + body["data"]["second"]["acceptedCount"] == 100


@pytest.fixture
async def capped(database_url: str) -> AsyncIterator[Api]:
    # Its queue is elsewhere, so no worker runs beside this app: the requests stay PENDING
    # (an in-process worker could decide the first ones before the next batch arrives).
    elsewhere = "http://127.0.0.1:9/000000000000"
    async with running_api(
        database_url,
        max_pending_per_patient=3,
        sqs_queue_url=f"{elsewhere}/appointments.fifo",
        sqs_dlq_url=f"{elsewhere}/appointments-dlq.fifo",
    ) as api:
        yield api


async def test_a_patient_with_as_many_pending_requests_as_allowed_is_refused_more(
    capped: Api,
) -> None:
    wanted = await items(capped, 5)
    patient = await a_patient(capped)
    body = await capped.query(BATCH, as_=patient, input={"appointments": wanted[:2]})
    assert body["data"]["requestAppointments"]["acceptedCount"] == 2

    body = await capped.query(BATCH, as_=patient, input={"appointments": wanted[2:]})
    payload = body["data"]["requestAppointments"]
    assert (payload["acceptedCount"], payload["failedCount"]) == (1, 2)
    refused = [r for r in payload["results"] if r["userErrors"]]
    assert [r["index"] for r in refused] == [1, 2]
    assert {e["code"] for r in refused for e in r["userErrors"]} == {"TOO_MANY_PENDING"}

    other = await a_patient(capped)
    body = await capped.query(REQUEST, as_=other, input=wanted[4])
    assert body["data"]["requestAppointment"]["userErrors"] == []
