"""Finding psychologists, deactivating them, and patients' profiles through the GraphQL API."""

import uuid
from datetime import timedelta
from typing import Any

from practice_api import EVERY_DAY, patient, psychologist, user_errors

from graphql_client import APP_NOW, Api

DAY = (APP_NOW + timedelta(days=7)).date()
SEARCH = """
query($filter: PsychologistFilter, $order: PsychologistOrder, $first: Int, $after: String) {
  psychologists(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}"""
DEACTIVATE = """
mutation($input: PsychologistIdInput!) {
  deactivatePsychologist(input: $input) { psychologist { active } userErrors { code } }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) { appointment { id } userErrors { code field } }
}"""
MY_PROFILE = """
mutation($input: UpdateMyProfileInput!) {
  updateMyProfile(input: $input) { patient { name phone timeZone } userErrors { code field } }
}"""


def at(clock: str) -> str:
    return f"{DAY.isoformat()}T{clock}:00Z"


def ids(body: dict[str, Any]) -> list[str]:
    return [node["id"] for node in body["data"]["psychologists"]["nodes"]]


async def test_several_specialties_and_a_language_are_matched_in_any_case(api: Api) -> None:
    tag = "specialty-" + uuid.uuid4().hex[:8]
    grief = await psychologist(api, specialties=[f"Grief {tag}"], languages=["Portuguese"])
    couples = await psychologist(api, specialties=[f"couples {tag}"], languages=["English"])
    await psychologist(api, specialties=[f"trauma {tag}"], languages=["Portuguese"])
    wanted = [f"GRIEF {tag}", f"Couples {tag}"]

    both = await api.query(SEARCH, filter={"specialties": wanted})
    portuguese = await api.query(SEARCH, filter={"specialties": wanted, "language": "portuguese"})

    assert sorted(ids(both)) == sorted([grief.id, couples.id])
    assert ids(portuguese) == [grief.id]


async def test_free_time_finds_those_with_a_slot_and_orders_by_the_first_one(api: Api) -> None:
    tag = "free-" + uuid.uuid4().hex[:8]
    late = await psychologist(
        api,
        name="A late one",
        specialties=[tag],
        workingHours=[{"weekday": "MONDAY", "startTime": "15:00", "endTime": "18:00"}],
    )
    early = await psychologist(
        api,
        name="B early one",
        specialties=[tag],
        workingHours=[{"weekday": "MONDAY", "startTime": "08:00", "endTime": "10:00"}],
    )
    await psychologist(
        api,
        name="C never on mondays",
        specialties=[tag],
        workingHours=[{"weekday": "TUESDAY", "startTime": "08:00", "endTime": "18:00"}],
    )
    window = {"from": at("00:00"), "to": at("23:59"), "durationMinutes": 50}
    wanted = {"specialties": [tag], "availableBetween": window}

    by_name = await api.query(SEARCH, filter=wanted)
    by_slot = await api.query(SEARCH, filter=wanted, order={"field": "NEXT_AVAILABLE"})
    first_page = await api.query(SEARCH, filter=wanted, order={"field": "NEXT_AVAILABLE"}, first=1)
    cursor = first_page["data"]["psychologists"]["pageInfo"]["endCursor"]
    second_page = await api.query(
        SEARCH, filter=wanted, order={"field": "NEXT_AVAILABLE"}, first=1, after=cursor
    )
    unbounded = await api.query(
        SEARCH, filter={"specialties": [tag]}, order={"field": "NEXT_AVAILABLE"}
    )

    assert ids(by_name) == [late.id, early.id]
    assert by_name["data"]["psychologists"]["totalCount"] == 2
    assert ids(by_slot) == [early.id, late.id]
    assert ids(first_page) == [early.id]
    assert first_page["data"]["psychologists"]["pageInfo"]["hasNextPage"]
    assert ids(second_page) == [late.id]
    assert [e["extensions"]["code"] for e in unbounded["errors"]] == ["BAD_USER_INPUT"]


async def test_a_deactivated_psychologist_is_found_by_admins_only_and_refuses_requests(
    api: Api,
) -> None:
    tag = "gone-" + uuid.uuid4().hex[:8]
    doctor, client = await psychologist(api, specialties=[tag]), await patient(api)

    refused = await api.query(DEACTIVATE, as_=doctor.who, input={"psychologistId": doctor.id})
    done = await api.query(DEACTIVATE, input={"psychologistId": doctor.id})
    by_patient = await api.query(SEARCH, as_=client.who, filter={"specialties": [tag]})
    by_admin = await api.query(SEARCH, filter={"specialties": [tag], "active": False})
    request = await api.query(
        REQUEST,
        as_=client.who,
        input={"psychologistId": doctor.id, "scheduledAt": at("10:00"), "durationMinutes": 50},
    )

    assert refused["data"]["deactivatePsychologist"]["userErrors"] == [{"code": "FORBIDDEN"}]
    assert done["data"]["deactivatePsychologist"]["psychologist"] == {"active": False}
    assert ids(by_patient) == []
    assert ids(by_admin) == [doctor.id]
    assert user_errors(request, "requestAppointment") == [
        ("PSYCHOLOGIST_UNAVAILABLE", ["input", "psychologistId"])
    ]


async def test_a_request_into_time_off_is_refused_at_once(api: Api) -> None:
    doctor, client = await psychologist(api), await patient(api)
    await api.query(
        """mutation($input: AddTimeOffInput!) { addTimeOff(input: $input) { userErrors { code } } }""",
        as_=doctor.who,
        input={"psychologistId": doctor.id, "startsAt": at("09:00"), "endsAt": at("12:00")},
    )

    body = await api.query(
        REQUEST,
        as_=client.who,
        input={"psychologistId": doctor.id, "scheduledAt": at("10:00"), "durationMinutes": 50},
    )

    assert user_errors(body, "requestAppointment") == [
        ("PSYCHOLOGIST_UNAVAILABLE", ["input", "scheduledAt"])
    ]


async def test_a_patient_edits_their_profile_and_others_read_it_only_as_scoping_allows(
    api: Api,
) -> None:
    client = await patient(api, phone="+5511999990003")
    stranger = await psychologist(api, workingHours=EVERY_DAY)

    changed = await api.query(
        MY_PROFILE,
        as_=client.who,
        input={"name": "Ana Prado", "phone": "", "timeZone": "Europe/Lisbon"},
    )
    wrong = await api.query(MY_PROFILE, as_=client.who, input={"timeZone": "Atlantis/Capital"})
    as_stranger = await api.query(
        "query($id: ID!) { node(id: $id) { ... on Patient { timeZone } } }",
        as_=stranger.who,
        id=client.id,
    )
    as_self = await api.query("{ viewer { patient { name timeZone } } }", as_=client.who)

    assert changed["data"]["updateMyProfile"]["patient"] == {
        "name": "Ana Prado",
        "phone": None,
        "timeZone": "Europe/Lisbon",
    }
    assert user_errors(wrong, "updateMyProfile") == [("INVALID_INPUT", ["input", "timeZone"])]
    assert as_stranger["data"]["node"] is None
    assert as_self["data"]["viewer"]["patient"] == {
        "name": "Ana Prado",
        "timeZone": "Europe/Lisbon",
    }


async def test_slots_of_a_page_of_psychologists_cost_the_same_statements_at_any_size(
    api: Api,
) -> None:
    query = """
    query($first: Int!, $from: DateTime!, $to: DateTime!) {
      psychologists(first: $first) {
        nodes { availableSlots(from: $from, to: $to, durationMinutes: 50) { startsAt } }
      }
    }"""
    window = {"from": at("00:00"), "to": at("23:59")}
    for _ in range(6):
        await psychologist(api)

    async def statements(first: int) -> int:
        api.statements.clear()
        body = await api.query(query, first=first, **window)
        assert len(body["data"]["psychologists"]["nodes"]) == first
        return len(api.statements)

    assert await statements(2) == await statements(6)
