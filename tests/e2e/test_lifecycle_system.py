"""A session's life with real processes: two API replicas and a worker sharing PostgreSQL,
Redis and moto's SQS server, clients on websockets. A new time is seen live as asked (the
session still at its old time) and then moved; a weekly series of ten is seen, session by
session, on appointmentEvents.

The processes run on the wall clock, so every time booked is one the served API offers.
"""

import asyncio
from datetime import datetime

from booking import REQUEST, as_, call, free_starts
from subscription_stack import SubscriptionStack

from live_client import live_client
from world import World, node_id

RESCHEDULE = """
mutation($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { rescheduleTo } userErrors { code } }
}"""
SERIES = """
mutation($input: RequestAppointmentSeriesInput!) {
  requestAppointmentSeries(input: $input) {
    series { id occurrences { id } } results { userErrors { code message } } userErrors { code }
  }
}"""
STATUS = """
subscription($id: ID!) {
  appointmentStatus(appointmentId: $id) {
    status version kind scheduledAt previousScheduledAt actor { role }
    appointment { scheduledAt rescheduleTo }
  }
}"""
EVENTS = """
subscription($psychologistId: ID) {
  appointmentEvents(psychologistId: $psychologistId) { appointmentId status version kind }
}"""


async def test_a_new_time_is_seen_live_as_asked_then_moved(
    system: SubscriptionStack, world: World
) -> None:
    a, b = system.replicas[:2]
    worker = system.workers[0]
    doctor, patient = await world.psychologist(), await world.patient()
    starts = await free_starts(a, system, doctor, days=9)
    booked = await call(
        b,
        system,
        as_(patient),
        REQUEST,
        input={"psychologistId": node_id(doctor), "scheduledAt": starts[0], "durationMinutes": 50},
    )
    ident = booked["requestAppointment"]["appointment"]["id"]

    async with live_client(a.ws_url, token=system.token(*as_(patient))) as client:
        watching = await client.subscribe(STATUS, id=ident)
        seen = [(await watching.next_data())["appointmentStatus"]]
        while seen[-1]["status"] == "PENDING":
            seen.append((await watching.next_data(within=60))["appointmentStatus"])
        assert seen[-1]["status"] == "CONFIRMED"
        worker.pause()
        try:
            asked = await call(
                b,
                system,
                as_(patient),
                RESCHEDULE,
                input={"appointmentId": ident, "scheduledAt": starts[-1]},
            )
            assert asked["rescheduleAppointment"]["userErrors"] == []
            waiting = (await watching.next_data())["appointmentStatus"]
            worker.resume()
            moved = (await watching.next_data(within=60))["appointmentStatus"]
        finally:
            worker.resume()

    new = datetime.fromisoformat(starts[-1])
    assert waiting["kind"] == "RESCHEDULE_REQUESTED"
    assert waiting["status"] == "CONFIRMED"
    assert datetime.fromisoformat(waiting["scheduledAt"]) == new
    assert waiting["actor"] == {"role": "PATIENT"}
    assert moved["kind"] == "RESCHEDULED"
    assert moved["version"] == waiting["version"] + 1
    assert datetime.fromisoformat(moved["previousScheduledAt"]) == datetime.fromisoformat(starts[0])
    assert datetime.fromisoformat(moved["appointment"]["scheduledAt"]) == new
    assert moved["appointment"]["rescheduleTo"] is None


async def test_a_weekly_series_of_ten_is_seen_session_by_session_on_appointment_events(
    system: SubscriptionStack, world: World
) -> None:
    a, b = system.replicas[:2]
    doctor, patient = await world.psychologist(), await world.patient()
    [first, *_] = await free_starts(a, system, doctor, days=9)

    async with live_client(a.ws_url, token=system.token(*as_(patient))) as client:
        events = await client.subscribe(EVENTS, psychologistId=node_id(doctor))
        answer = await call(
            b,
            system,
            as_(patient),
            SERIES,
            input={
                "psychologistId": node_id(doctor),
                "firstScheduledAt": first,
                "occurrences": 10,
                "frequency": "WEEKLY",
                "durationMinutes": 50,
                "idempotencyKey": f"series-{doctor.id}",
            },
        )
        made = answer["requestAppointmentSeries"]
        assert made["userErrors"] == [], made
        ids = {occurrence["id"] for occurrence in made["series"]["occurrences"]}
        assert len(ids) == 10
        latest: dict[str, str] = {}
        async with asyncio.timeout(90):
            while len(latest) < 10 or set(latest.values()) != {"CONFIRMED"}:
                event = (await events.next_data(within=60))["appointmentEvents"]
                latest[event["appointmentId"]] = event["status"]

    assert set(latest) == ids
