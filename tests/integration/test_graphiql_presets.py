"""GraphiQL in development opens with an example operation, its variables and a demo
patient's token, all of which work; in production, even with GraphiQL enabled, nothing
of the kind."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from appointment_api.dev_examples import DEMO_PATIENT, DEMO_PSYCHOLOGIST, FREE_SLOTS_OPERATION
from appointment_api.graphiql import MANIFEST_NAME, cdn_assets
from domain.appointments import AppointmentStatus
from domain.viewer import Role
from graphql_client import SECRET, Api, running_api
from infra.auth import JwtVerifier
from infra.config import Settings
from world import node_id


def fetched_assets(directory: Path) -> Path:
    """An assets folder as the fetch script leaves it (placeholder contents)."""
    for asset in cdn_assets():
        target = directory / asset.local_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("/* placeholder */")
    manifest = {"files": {asset.local_path: asset.integrity for asset in cdn_assets()}}
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest))
    return directory


def editors(page: str) -> dict[str, Any]:
    """What the page's editors open with."""
    literal = r'"(?:[^"\\]|\\.)*"'
    [operation] = re.findall(rf"const EXAMPLE_QUERY = ({literal});", page)
    [variables] = re.findall(rf"parameters\.variables \|\| ({literal})", page)
    [headers] = re.findall(rf"parameters\.headers \|\| ({literal})", page)
    return {
        "operation": json.loads(operation),
        "variables": json.loads(json.loads(variables)),
        "headers": json.loads(json.loads(headers)),
    }


async def graphiql_page(api: Api) -> str:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    return response.text


async def test_in_development_the_first_run_returns_the_demo_psychologists_free_slots(
    database_url: str, tmp_path: Path
) -> None:
    assets = fetched_assets(tmp_path)
    async with running_api(database_url, graphiql_assets_dir=assets) as api:
        psychologist = await api.world.psychologist(subject=DEMO_PSYCHOLOGIST)
        await api.world.patient(subject=DEMO_PATIENT)

        opened = editors(await graphiql_page(api))
        answer = await api.client.post(
            "/graphql",
            json={"query": opened["operation"], "variables": opened["variables"]},
            headers=opened["headers"],
        )

    assert opened["operation"] == FREE_SLOTS_OPERATION
    assert opened["variables"]["psychologistId"] == node_id(psychologist)
    starts_at = datetime.fromisoformat(opened["variables"]["startsAt"])
    assert starts_at >= api.now + timedelta(days=7)
    body = answer.json()
    assert "errors" not in body, body
    slots = [slot["startsAt"] for slot in body["data"]["psychologist"]["availableSlots"]]
    assert opened["variables"]["startsAt"] in slots
    settings = Settings(jwt_secret=SECRET)  # type: ignore[arg-type]
    viewer = await JwtVerifier.from_settings(settings).authenticate(
        opened["headers"]["Authorization"]
    )
    assert (viewer.subject, viewer.role) == (DEMO_PATIENT, Role.PATIENT)


async def test_the_example_slot_is_one_the_demo_patient_is_free_for(
    database_url: str, tmp_path: Path
) -> None:
    assets = fetched_assets(tmp_path)
    async with running_api(database_url, graphiql_assets_dir=assets) as api:
        psychologist = await api.world.psychologist(subject=DEMO_PSYCHOLOGIST, time_zone="UTC")
        other = await api.world.psychologist(time_zone="UTC")
        patient = await api.world.patient(subject=DEMO_PATIENT)
        first = editors(await graphiql_page(api))["variables"]["startsAt"]
        await api.world.appointments(
            other, patient, [datetime.fromisoformat(first)], AppointmentStatus.CONFIRMED
        )
        second = editors(await graphiql_page(api))["variables"]

    assert datetime.fromisoformat(second["startsAt"]) > datetime.fromisoformat(first)
    assert second["psychologistId"] == node_id(psychologist)


async def test_in_production_graphiql_opens_with_nothing_filled_in(
    database_url: str, tmp_path: Path
) -> None:
    assets = fetched_assets(tmp_path)
    async with running_api(
        database_url, app_env="production", graphiql_enabled=True, graphiql_assets_dir=assets
    ) as api:
        await api.world.psychologist(subject=DEMO_PSYCHOLOGIST)
        await api.world.patient(subject=DEMO_PATIENT)
        page = await graphiql_page(api)

    assert "Welcome to GraphiQL" in page
    assert "Bearer" not in page
    assert "FreeSlots" not in page
    assert "React.useState(parameters.headers)" in page


BOOK = """
mutation($psychologistId: ID!, $startsAt: DateTime!, $idempotencyKey: String) {
  requestAppointment(input: {psychologistId: $psychologistId, scheduledAt: $startsAt,
                             durationMinutes: 50, idempotencyKey: $idempotencyKey}) {
    appointment { status } userErrors { code }
  }
}"""


async def test_once_the_example_slot_is_booked_its_day_still_shows_free_slots(
    database_url: str, tmp_path: Path
) -> None:
    assets = fetched_assets(tmp_path)
    async with running_api(database_url, graphiql_assets_dir=assets) as api:
        await api.world.psychologist(subject=DEMO_PSYCHOLOGIST)
        await api.world.patient(subject=DEMO_PATIENT)
        opened = editors(await graphiql_page(api))
        booked = await api.query(BOOK, as_=("patient", DEMO_PATIENT), **opened["variables"])
        after = await api.query(
            opened["operation"], as_=("patient", DEMO_PATIENT), **opened["variables"]
        )

    assert booked["data"]["requestAppointment"]["userErrors"] == []
    slots = [slot["startsAt"] for slot in after["data"]["psychologist"]["availableSlots"]]
    assert slots
    assert opened["variables"]["startsAt"] not in slots
