"""The availableSlots subscription on the app serving websockets, its news through the
in-process stream and through Redis: a new list each time the slots change, whatever
changed them."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from practice_api import patient, psychologist

from graphql_client import APP_NOW, Api, running_api
from live_client import live_client

DAY = (APP_NOW + timedelta(days=7)).date()
WATCH = """
subscription($id: ID!, $from: DateTime!, $to: DateTime!) {
  availableSlots(psychologistId: $id, from: $from, to: $to, durationMinutes: 60, stepMinutes: 60,
                 timeZone: "America/New_York") {
    psychologistId
    slots { startsAt localStartsAt }
  }
}"""


def at(clock: str) -> str:
    return f"{DAY.isoformat()}T{clock}:00Z"


@pytest.fixture(params=["memory", "redis"])
async def live(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Api]:
    overrides = (
        {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    )
    async with running_api(database_url, listen=True, **overrides) as api:
        yield api


def starts(data: dict[str, Any]) -> list[str]:
    return [slot["startsAt"] for slot in data["availableSlots"]["slots"]]


async def test_the_list_changes_with_bookings_time_off_and_new_hours(live: Api) -> None:
    doctor, client = await psychologist(live), await patient(live)
    window = {"id": doctor.id, "from": at("09:00"), "to": at("13:00")}

    async with live_client(live.ws_url, token=live.token(*client.who)) as watching:
        slots = await watching.subscribe(WATCH, **window)
        first = await slots.next_data()
        assert starts(first) == [at("09:00"), at("10:00"), at("11:00"), at("12:00")]
        assert first["availableSlots"]["slots"][0]["localStartsAt"] == (
            f"{DAY.isoformat()}T05:00:00-04:00"
        )

        booked = await live.query(
            "mutation($input: RequestAppointmentInput!) { requestAppointment(input: $input) "
            "{ userErrors { code } } }",
            as_=client.who,
            input={"psychologistId": doctor.id, "scheduledAt": at("10:00"), "durationMinutes": 60},
        )
        assert booked["data"]["requestAppointment"]["userErrors"] == []
        assert starts(await slots.next_data()) == [at("09:00"), at("11:00"), at("12:00")]

        await live.query(
            "mutation($input: AddTimeOffInput!) { addTimeOff(input: $input) { userErrors { code } } }",
            as_=doctor.who,
            input={"psychologistId": doctor.id, "startsAt": at("11:30"), "endsAt": at("13:00")},
        )
        assert starts(await slots.next_data()) == [at("09:00")]

        await live.query(
            "mutation($input: SetWeeklyHoursInput!) { setWeeklyHours(input: $input) "
            "{ userErrors { code } } }",
            as_=doctor.who,
            input={
                "psychologistId": doctor.id,
                "hours": [{"weekday": "MONDAY", "startTime": "10:00", "endTime": "17:00"}],
            },
        )
        assert starts(await slots.next_data()) == []
