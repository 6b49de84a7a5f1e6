"""Smaller holes: the login check sees through fragments, zero is not a default, a trailing
newline is not part of an address, emails meet whatever their case, and database errors
name no patient's data."""

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from builders import a_patient, every_day
from graphql_client import Api, codes
from infra.db.engine import create_engine
from infra.db.rows import patient_to_row
from infra.db.tables import patients
from world import hours_from, node_id

STAMP = datetime(2030, 1, 1, tzinfo=UTC)

REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    appointment { id patient { email } }
    userErrors { field code }
  }
}"""


@pytest.mark.parametrize(
    "query",
    [
        "{ ...__schema } fragment __schema on Query { viewer { subject } }",
        "{ ... on Query { __typename viewer { subject } } }",
        "{ __typename ...F } fragment F on Query { psychologists(first: 1) { totalCount } }",
    ],
)
async def test_fields_inside_fragments_at_the_root_need_a_viewer_before_anything_runs(
    api: Api, query: str
) -> None:
    body = (await api.client.post("/graphql", json={"query": query})).json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "path" not in error  # refused before execution, not by a resolver


async def test_introspection_inside_a_fragment_needs_no_viewer(api: Api) -> None:
    query = "{ ...Schema } fragment Schema on Query { __schema { queryType { name } } }"
    body = (await api.client.post("/graphql", json={"query": query})).json()
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}, **_extensions(body)}


def _extensions(body: dict[str, Any]) -> dict[str, Any]:
    return {"extensions": body["extensions"]} if "extensions" in body else {}


async def request_item(api: Api, **changes: Any) -> dict[str, Any]:
    psychologist = await api.world.psychologist(working_hours=every_day())
    return {
        "psychologistId": node_id(psychologist),
        "scheduledAt": hours_from(api.now, 7 * 24).isoformat(),
        "patient": {"name": "Élise", "email": "elise@x.zz"},
        **changes,
    }


async def test_a_zero_minute_session_is_refused_not_given_the_default_length(
    backend_api: Api,
) -> None:
    item = await request_item(backend_api, durationMinutes=0)
    body = await backend_api.query(REQUEST, input=item)
    payload = body["data"]["requestAppointment"]
    assert payload["appointment"] is None
    assert payload["userErrors"] == [
        {"field": ["input", "durationMinutes"], "code": "INVALID_INPUT"}
    ]


@pytest.mark.parametrize("argument", ["durationMinutes: 0", "stepMinutes: 0"])
async def test_zero_minute_slots_or_steps_are_refused(backend_api: Api, argument: str) -> None:
    psychologist = await backend_api.world.psychologist()
    body = await backend_api.query(
        "query($id: ID!, $from: DateTime!, $to: DateTime!) { psychologist(id: $id) {"
        f" availableSlots(from: $from, to: $to, {argument}) {{ startsAt }} }} }}",
        id=node_id(psychologist),
        **{
            "from": hours_from(backend_api.now, 48).isoformat(),
            "to": hours_from(backend_api.now, 72).isoformat(),
        },
    )
    assert codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("patient", "field"),
    [
        ({"name": "Ana", "email": "ana@x.zz\n"}, "email"),
        ({"name": "Ana", "email": "ana@x.zz", "phone": "+5511999999999\n"}, "phone"),
    ],
)
async def test_a_trailing_newline_makes_an_address_invalid(
    backend_api: Api, patient: dict[str, str], field: str
) -> None:
    body = await backend_api.query(REQUEST, input=await request_item(backend_api, patient=patient))
    assert body["data"]["requestAppointment"]["userErrors"] == [
        {"field": ["input", "patient", field], "code": "INVALID_INPUT"}
    ]


async def test_staff_book_for_an_email_in_any_case_of_any_alphabet_once(
    backend_api: Api,
) -> None:
    shouting = await request_item(backend_api, patient={"name": "Élise", "email": "ÉLISE@X.ZZ"})
    first = (await backend_api.query(REQUEST, input=shouting))["data"]["requestAppointment"]
    assert first["userErrors"] == []
    assert first["appointment"]["patient"]["email"] == "élise@x.zz"

    calm = await request_item(
        backend_api,
        patient={"name": "Élise", "email": "élise@x.zz"},
        scheduledAt=hours_from(backend_api.now, 8 * 24).isoformat(),
    )
    again = (await backend_api.query(REQUEST, input=calm))["data"]["requestAppointment"]
    assert again["userErrors"] == []
    async with backend_api.resources.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(patients)) == 1


async def test_a_failed_statement_names_no_bound_value(
    backend_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(backend_url)
    patient = a_patient(email="secret.person@x.zz", phone="+5511987654321")
    row = patient_to_row(patient, STAMP)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(patients), [row])
        with caplog.at_level(logging.INFO), pytest.raises(DBAPIError) as failed:
            async with engine.begin() as connection:
                await connection.execute(insert(patients), [row])
    finally:
        await engine.dispose()
    told = str(failed.value) + caplog.text
    for value in ("secret.person@x.zz", "+5511987654321", patient.name):
        assert value not in told
