"""What the development mode shows a newcomer so that the README's examples work as printed:
the variables they take (a demo psychologist's ID, one of their free slots a week ahead,
that slot's day), and what GraphiQL opens with (an example operation, those variables,
a demo patient's token). Never wired in production (see bootstrap.py)."""

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta

from application.free_slots import SlotQuery
from appointment_api.graphiql import GraphiQLPresets
from domain.appointments import BLOCKING_STATUSES
from domain.listing import AppointmentFilter, AppointmentOrder, PageRequest
from domain.schedule import Interval
from domain.viewer import Role, Viewer
from resolvers.context import Services
from resolvers.node_ids import to_global_id

DEMO_PATIENT = "patient-1"
DEMO_PSYCHOLOGIST = "psychologist-1"
SESSION_MINUTES = 50
# A week ahead: the printed slot stays bookable for days, well inside the booking window.
AHEAD = timedelta(days=7)
SEARCH = timedelta(days=14)
TOKEN_TTL = timedelta(hours=12)

# What GraphiQL opens with: the README's free-slots example.
FREE_SLOTS_OPERATION = """\
# A psychologist's free slots on one day (the Variables pane holds the values `make run`
# printed; the Headers pane, patient-1's token). Run it with the button above.
query FreeSlots($psychologistId: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $psychologistId) {
    name
    timeZone
    availableSlots(from: $from, to: $to, durationMinutes: 50) {
      startsAt
      endsAt
    }
  }
}
"""


TokenMinter = Callable[[str, Role, timedelta], str]


async def example_variables(services: Services) -> dict[str, str]:
    """The README examples' variables: `psychologistId`, `startsAt` (a free slot of the demo
    psychologist a week ahead, that the demo patient may book, on a day with another free
    slot), `from`/`to` (its UTC day), `idempotencyKey`. Empty when the database holds no
    such psychologist or slot."""
    now = services.clock()
    psychologist = await services.people.psychologist_by_subject(DEMO_PSYCHOLOGIST)
    if psychologist is None:
        return {}
    start = datetime.combine((now + AHEAD).date(), time(0), now.tzinfo)
    window = Interval(start, start + SEARCH)
    free = await services.free_slots(
        [psychologist.id],
        SlotQuery(window=window, duration_minutes=SESSION_MINUTES, step_minutes=60),
    )
    own = await _patient_busy(services, window)
    slots = [
        slot
        for slot in free.get(psychologist.id, [])
        if not any(slot.start < taken.end and taken.start < slot.end for taken in own)
    ]
    # A day with another free slot: once the example books one, the day still shows some.
    days = Counter(slot.start.date() for slot in slots)
    chosen = [slot.start for slot in slots if days[slot.start.date()] >= 2]
    if not chosen:
        return {}
    slot = chosen[0]
    day = datetime.combine(slot.date(), time(0), slot.tzinfo)
    return {
        "psychologistId": to_global_id("Psychologist", psychologist.id),
        "from": _iso(day),
        "to": _iso(day + timedelta(days=1)),
        "startsAt": _iso(slot),
        "idempotencyKey": f"readme-{slot:%Y%m%d-%H%M}",
    }


def graphiql_presets(
    services: Services, mint: TokenMinter
) -> Callable[[], Awaitable[GraphiQLPresets]]:
    """A fresh set for each page load: the slot may have been booked meanwhile."""

    async def presets() -> GraphiQLPresets:
        token = mint(DEMO_PATIENT, Role.PATIENT, TOKEN_TTL)
        return GraphiQLPresets(
            operation=FREE_SLOTS_OPERATION,
            variables=json.dumps(await example_variables(services), indent=2),
            headers=json.dumps({"Authorization": f"Bearer {token}"}, indent=2),
        )

    return presets


async def _patient_busy(services: Services, window: Interval) -> list[Interval]:
    """The demo patient's own sessions in the window: a slot among them would conflict."""
    page = await services.appointments.page(
        Viewer(DEMO_PATIENT, Role.PATIENT),
        AppointmentFilter(
            statuses=tuple(BLOCKING_STATUSES),
            scheduled_from=window.start - timedelta(days=1),
            scheduled_to=window.end,
        ),
        AppointmentOrder(),
        PageRequest(size=100),
        with_total=False,
    )
    return [appointment.interval for appointment in page.items]


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")
