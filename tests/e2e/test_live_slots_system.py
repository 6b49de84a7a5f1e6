"""Live free slots with real processes: two API replicas and a worker sharing PostgreSQL,
Redis and moto's SQS server. A patient watching a psychologist's slots on one replica sees
a slot go within a second of another patient's booking being confirmed through the other.

The test makes its own psychologist and patients through the API; the processes run on
the wall clock, so the slots are read from the served API itself.
"""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from booking import ADMIN, REQUEST, call
from subscription_stack import Replica, SubscriptionStack

from live_client import live_client

EVERY_DAY = [
    {"weekday": day, "startTime": "00:00", "endTime": "23:59"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]
CREATE_PSYCHOLOGIST = """
mutation($input: CreatePsychologistInput!) {
  createPsychologist(input: $input) { psychologist { id } userErrors { code field message } }
}"""
CREATE_PATIENT = """
mutation($input: CreatePatientInput!) {
  createPatient(input: $input) { patient { id } userErrors { code field message } }
}"""
WATCH_SLOTS = """
subscription($id: ID!, $from: DateTime!, $to: DateTime!) {
  availableSlots(psychologistId: $id, from: $from, to: $to, durationMinutes: 50, stepMinutes: 60) {
    psychologistId
    slots { startsAt }
  }
}"""
WATCH_STATUS = "subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status } }"


async def created(
    replica: Replica, system: SubscriptionStack, mutation: str, field: str, **input: Any
) -> str:
    payload = (await call(replica, system, ADMIN, mutation, input=input))[field]
    assert payload["userErrors"] == [], payload
    entity = payload["psychologist" if field == "createPsychologist" else "patient"]
    found: str = entity["id"]
    return found


async def test_a_slot_booked_through_one_replica_leaves_the_live_list_on_the_other_within_a_second(
    system: SubscriptionStack,
) -> None:
    first, second = system.replicas
    tag = uuid.uuid4().hex[:8]
    psychologist = await created(
        first,
        system,
        CREATE_PSYCHOLOGIST,
        "createPsychologist",
        name=f"Dr. Live {tag}",
        email=f"live-{tag}@clinic.example",
        timeZone="UTC",
        workingHours=EVERY_DAY,
        consultationFee="100.00",
        subject=f"psychologist-{tag}",
    )
    watcher, booker = (("patient", f"patient-{tag}-{n}") for n in (1, 2))
    for who in (watcher, booker):
        await created(
            first,
            system,
            CREATE_PATIENT,
            "createPatient",
            name=f"Patient {who[1]}",
            email=f"{who[1]}@mail.example",
            subject=who[1],
        )
    now = datetime.now(UTC)
    window = {
        "from": (now + timedelta(days=2)).isoformat(),
        "to": (now + timedelta(days=3)).isoformat(),
    }

    async with (
        live_client(first.ws_url, token=system.token(*watcher)) as watching,
        live_client(second.ws_url, token=system.token(*booker)) as booking,
    ):
        slots = await watching.subscribe(WATCH_SLOTS, id=psychologist, **window)
        offered = [s["startsAt"] for s in (await slots.next_data())["availableSlots"]["slots"]]
        assert len(offered) >= 20, offered
        wanted = offered[len(offered) // 2]

        requested = await call(
            second,
            system,
            booker,
            REQUEST,
            input={"psychologistId": psychologist, "scheduledAt": wanted, "durationMinutes": 50},
        )
        payload = requested["requestAppointment"]
        assert payload["userErrors"] == [], payload
        status = await booking.subscribe(WATCH_STATUS, id=payload["appointment"]["id"])

        async def slot_gone() -> float:
            while True:
                update = (await slots.next_data(within=30))["availableSlots"]
                if wanted not in [s["startsAt"] for s in update["slots"]]:
                    assert update["psychologistId"] == psychologist
                    return time.monotonic()

        async def confirmed() -> float:
            while (await status.next_data(within=30))["appointmentStatus"]["status"] != "CONFIRMED":
                continue
            return time.monotonic()

        gone_at, confirmed_at = await asyncio.gather(slot_gone(), confirmed())

    # It goes as soon as the request holds it (PENDING), before the confirmation at latest.
    assert gone_at <= confirmed_at + 1.0, (gone_at, confirmed_at)
