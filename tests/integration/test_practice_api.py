"""Running a practice through the GraphQL API on PostgreSQL: who may change which calendar,
what each role reads, and requests and slots following the calendar."""

from datetime import timedelta
from typing import Any

from practice_api import ADMIN, patient, psychologist, user_errors

from graphql_client import APP_NOW, Api

DAY = (APP_NOW + timedelta(days=7)).date()  # Monday 11 March 2030
SET_HOURS = """
mutation($input: SetWeeklyHoursInput!) {
  setWeeklyHours(input: $input) { weeklyHours { effectiveFrom hours { weekday startTime } }
                                  userErrors { code field } }
}"""
ADD_TIME_OFF = """
mutation($input: AddTimeOffInput!) {
  addTimeOff(input: $input) {
    timeOff { id startsAt endsAt allDay reason }
    conflicts { id status }
    cancelled { id status cancellationReason }
    userErrors { code field message }
  }
}"""
SETTINGS = """
mutation($input: SetBookingSettingsInput!) {
  setBookingSettings(input: $input) {
    bookingSettings { minNoticeMinutes bufferBeforeMinutes bufferAfterMinutes sessionDurations
                      appointmentTypes { appointmentType fee } maxSessionsPerDay }
    userErrors { code field }
  }
}"""
UPDATE = """
mutation($input: UpdatePsychologistInput!) {
  updatePsychologist(input: $input) { psychologist { name bio languages } userErrors { code field } }
}"""
REQUEST = """
mutation($input: RequestAppointmentInput!) {
  requestAppointment(input: $input) {
    appointment { id status consultationFee } userErrors { code field }
  }
}"""
CALENDAR = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  psychologist(id: $id) {
    timeOff(from: $from, to: $to) { allDay reason }
    weeklyHours { effectiveFrom hours { weekday startTime endTime } }
  }
}"""
CHANGES = """
query($id: ID!) {
  psychologist(id: $id) {
    scheduleChanges(first: 10) { nodes { action actorRole actorSubject requestId details } }
  }
}"""
SLOTS = """
query($id: ID!, $from: DateTime!, $to: DateTime!, $zone: String) {
  psychologist(id: $id) {
    availableSlots(from: $from, to: $to, durationMinutes: 50, stepMinutes: 30, timeZone: $zone) {
      startsAt endsAt localStartsAt timeZone
    }
  }
}"""


def at(clock: str, day: Any = DAY) -> str:
    return f"{day.isoformat()}T{clock}:00Z"


async def test_a_psychologist_changes_their_own_calendar_and_no_one_elses(api: Api) -> None:
    own, other = await psychologist(api), await psychologist(api)
    hours = [{"weekday": "MONDAY", "startTime": "08:00", "endTime": "12:00"}]

    mine = await api.query(SET_HOURS, as_=own.who, input={"psychologistId": own.id, "hours": hours})
    theirs = [
        await api.query(SET_HOURS, as_=own.who, input={"psychologistId": other.id, "hours": hours}),
        await api.query(
            ADD_TIME_OFF,
            as_=own.who,
            input={"psychologistId": other.id, "startDate": str(DAY), "endDate": str(DAY)},
        ),
        await api.query(SETTINGS, as_=own.who, input={"psychologistId": other.id}),
        await api.query(UPDATE, as_=own.who, input={"psychologistId": other.id, "name": "X"}),
    ]

    assert user_errors(mine, "setWeeklyHours") == []
    assert mine["data"]["setWeeklyHours"]["weeklyHours"]["effectiveFrom"] == "2030-03-04"
    fields = ["setWeeklyHours", "addTimeOff", "setBookingSettings", "updatePsychologist"]
    for body, field in zip(theirs, fields, strict=True):
        assert user_errors(body, field) == [("FORBIDDEN", ["input", "psychologistId"])], field


async def test_patients_change_no_calendar_and_create_no_one(api: Api) -> None:
    doctor, client = await psychologist(api), await patient(api)

    refused = [
        await api.query(SETTINGS, as_=client.who, input={"psychologistId": doctor.id}),
        await api.query(
            "mutation($i: CreatePatientInput!) { createPatient(input: $i) { userErrors { code } } }",
            as_=client.who,
            i={"name": "A", "email": "a@b.example"},
        ),
    ]

    assert user_errors(refused[0], "setBookingSettings") == [
        ("FORBIDDEN", ["input", "psychologistId"])
    ]
    assert refused[1]["data"]["createPatient"]["userErrors"] == [{"code": "FORBIDDEN"}]


async def test_the_reason_for_time_off_is_for_staff_and_the_audit_too(api: Api) -> None:
    doctor, client, other = await psychologist(api), await patient(api), await psychologist(api)
    added = await api.query(
        ADD_TIME_OFF,
        as_=doctor.who,
        input={
            "psychologistId": doctor.id,
            "startDate": str(DAY),
            "endDate": str(DAY + timedelta(days=1)),
            "reason": "Medical leave",
        },
    )
    assert user_errors(added, "addTimeOff") == []
    window = {"id": doctor.id, "from": at("00:00"), "to": at("00:00", DAY + timedelta(days=7))}

    seen = {
        role: (await api.query(CALENDAR, as_=who, **window))["data"]["psychologist"]["timeOff"]
        for role, who in (("self", doctor.who), ("admin", ADMIN), ("patient", client.who))
    }
    audit_by_patient = await api.query(CHANGES, as_=client.who, id=doctor.id)
    audit_by_other = await api.query(CHANGES, as_=other.who, id=doctor.id)
    audit = await api.query(CHANGES, as_=doctor.who, id=doctor.id)

    assert seen["self"] == seen["admin"] == [{"allDay": True, "reason": "Medical leave"}]
    assert seen["patient"] == [{"allDay": True, "reason": None}]
    for refused in (audit_by_patient, audit_by_other):
        assert refused["data"] == {"psychologist": None}
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    [entry, created] = audit["data"]["psychologist"]["scheduleChanges"]["nodes"]
    assert (entry["action"], entry["actorRole"], entry["actorSubject"]) == (
        "time_off.added",
        "PSYCHOLOGIST",
        doctor.subject,
    )
    assert entry["requestId"]
    assert entry["details"]["reason"] == "Medical leave"
    assert (created["action"], created["actorRole"]) == ("psychologist.created", "ADMIN")


async def test_time_off_over_a_booked_session_lists_it_then_cancels_it_when_asked(
    api: Api,
) -> None:
    doctor, client = await psychologist(api), await patient(api)
    booked = await api.query(
        REQUEST,
        as_=client.who,
        input={"psychologistId": doctor.id, "scheduledAt": at("10:00"), "durationMinutes": 50},
    )
    appointment = booked["data"]["requestAppointment"]["appointment"]["id"]
    await api.wait_for_status(appointment, "CONFIRMED")
    period = {"psychologistId": doctor.id, "startDate": str(DAY), "endDate": str(DAY)}

    refused = await api.query(ADD_TIME_OFF, as_=doctor.who, input=period)
    accepted = await api.query(
        ADD_TIME_OFF,
        as_=doctor.who,
        input={**period, "cancelConflicts": True, "cancellationReason": "Sick day"},
    )

    first = refused["data"]["addTimeOff"]
    assert first["timeOff"] is None
    assert first["conflicts"] == [{"id": appointment, "status": "CONFIRMED"}]
    assert user_errors(refused, "addTimeOff") == [("TIME_OFF_CONFLICTS", ["input", "period"])]
    second = accepted["data"]["addTimeOff"]
    assert second["userErrors"] == []
    assert second["cancelled"] == [
        {"id": appointment, "status": "CANCELLED", "cancellationReason": "Sick day"}
    ]
    history = await api.query(
        "query($id: ID!) { appointment(id: $id) { history { status reason } } }",
        as_=client.who,
        id=appointment,
    )
    assert history["data"]["appointment"]["history"][-1] == {
        "status": "CANCELLED",
        "reason": "Sick day",
    }


async def test_requests_and_slots_follow_the_psychologists_settings(api: Api) -> None:
    doctor, client = await psychologist(api), await patient(api)
    settings = await api.query(
        SETTINGS,
        as_=doctor.who,
        input={
            "psychologistId": doctor.id,
            "minNoticeMinutes": 60,
            "bufferBeforeMinutes": 10,
            "bufferAfterMinutes": 20,
            "sessionDurations": [50],
            "appointmentTypes": [{"appointmentType": "THERAPY_SESSION", "fee": "180.00"}],
            "maxSessionsPerDay": 3,
        },
    )
    assert settings["data"]["setBookingSettings"]["bookingSettings"] == {
        "minNoticeMinutes": 60,
        "bufferBeforeMinutes": 10,
        "bufferAfterMinutes": 20,
        "sessionDurations": [50],
        "appointmentTypes": [{"appointmentType": "THERAPY_SESSION", "fee": "180.00"}],
        "maxSessionsPerDay": 3,
    }

    def item(**fields: Any) -> dict[str, Any]:
        return {
            "psychologistId": doctor.id,
            "scheduledAt": at("10:00"),
            "durationMinutes": 50,
            "appointmentType": "THERAPY_SESSION",
            **fields,
        }

    wrong = [
        await api.query(REQUEST, as_=client.who, input=item(durationMinutes=60)),
        await api.query(REQUEST, as_=client.who, input=item(appointmentType="EMERGENCY")),
    ]
    assert [user_errors(body, "requestAppointment") for body in wrong] == [
        [("DURATION_NOT_OFFERED", ["input", "durationMinutes"])],
        [("APPOINTMENT_TYPE_NOT_OFFERED", ["input", "appointmentType"])],
    ]
    booked = await api.query(REQUEST, as_=client.who, input=item())
    appointment = booked["data"]["requestAppointment"]["appointment"]
    assert appointment["consultationFee"] == "180.00"
    await api.wait_for_status(appointment["id"], "CONFIRMED")

    slots = await api.query(
        SLOTS, id=doctor.id, zone="Asia/Tokyo", **{"from": at("09:00"), "to": at("13:00")}
    )
    found = slots["data"]["psychologist"]["availableSlots"]
    # 10:00-10:50 holds 09:50-11:10; the next one needs its own 10 minutes before, and
    # sessions start on the half hour: 11:30, then 12:00 (the last to end by 13:00).
    assert [s["startsAt"] for s in found] == [at("11:30"), at("12:00")]
    assert found[0]["localStartsAt"] == f"{DAY.isoformat()}T20:30:00+09:00"
    assert found[0]["timeZone"] == "Asia/Tokyo"
