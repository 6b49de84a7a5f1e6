"""Psychologists and patients as data, with fakes of the ports: who may create and change
what, and what the audit keeps."""

from decimal import Decimal

import pytest
from application_fakes import FakeDatabase, Published
from practice_world import ADMIN, NINE_TO_FIVE, Practice, practice

from application.changes import ScheduleChange
from application.practice_commands import (
    CreatePatient,
    CreatePsychologist,
    DeactivatePsychologist,
    PsychologistFields,
    UpdateMyProfile,
    UpdatePsychologist,
)
from application.unit_of_work import Transactions
from builders import a_patient
from domain.viewer import Role, Viewer


@pytest.fixture
def world(database: FakeDatabase, transactions: Transactions) -> Practice:
    return practice(database, transactions)


def new_psychologist(viewer: Viewer, **overrides: object) -> CreatePsychologist:
    fields: dict[str, object] = {
        "viewer": viewer,
        "request_id": "req-1",
        "name": " Dr. Rosa Lima ",
        "email": "rosa@clinic.example",
        "time_zone": "Europe/Lisbon",
        "working_hours": NINE_TO_FIVE,
        "default_duration_minutes": 50,
        "consultation_fee": Decimal("150.00"),
        "specialties": ("Anxiety", "grief"),
        "languages": ("pt", "en"),
        "subject": "psychologist-rosa",
    }
    fields.update(overrides)
    return CreatePsychologist(**fields)  # type: ignore[arg-type]


async def test_an_admin_adds_a_psychologist_and_the_audit_says_who(world: Practice) -> None:
    answer = await world.cases.create_psychologist(new_psychologist(ADMIN))

    assert answer.value is not None
    stored = world.database.tables.psychologists[answer.value.id]
    assert (stored.name, stored.subject, stored.languages) == (
        "Dr. Rosa Lima",
        "psychologist-rosa",
        ("pt", "en"),
    )
    [entry] = world.database.tables.audit
    assert (entry.action, entry.actor_role, entry.actor_subject) == (
        "psychologist.created",
        Role.ADMIN,
        "admin-1",
    )


async def test_only_an_admin_adds_psychologists(world: Practice) -> None:
    answers = [
        await world.cases.create_psychologist(new_psychologist(world.own)),
        await world.cases.create_psychologist(new_psychologist(Viewer("patient-1", Role.PATIENT))),
    ]

    assert [[p.code for p in a.problems] for a in answers] == [["FORBIDDEN"], ["FORBIDDEN"]]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"email": "not an email"}, ("email",)),
        ({"time_zone": "Mars/Olympus"}, ("timeZone",)),
        ({"default_duration_minutes": 5}, ("defaultDurationMinutes",)),
        ({"consultation_fee": Decimal("1.005")}, ("consultationFee",)),
        ({"specialties": ("",)}, ("specialties", "0")),
    ],
)
async def test_a_profile_that_makes_no_sense_is_refused_with_the_field(
    world: Practice, change: dict[str, object], path: tuple[str, ...]
) -> None:
    answer = await world.cases.create_psychologist(new_psychologist(ADMIN, **change))

    assert ("INVALID_INPUT", path) in [(p.code, p.path) for p in answer.problems]
    assert len(world.database.tables.psychologists) == 1


async def test_an_email_or_subject_already_taken_is_refused(world: Practice) -> None:
    taken = await world.cases.create_psychologist(
        new_psychologist(ADMIN, email=world.psychologist.email.upper())
    )

    assert [(p.code, p.path) for p in taken.problems] == [("INVALID_INPUT", ("email",))]


async def test_a_psychologist_updates_their_own_profile_and_it_is_announced(
    world: Practice, published: Published
) -> None:
    fields = PsychologistFields(bio="Twenty years of practice.", languages=("pt",))

    answer = await world.cases.update_psychologist(
        UpdatePsychologist(world.own, "req-2", world.psychologist.id, fields)
    )

    assert answer.value is not None
    assert (answer.value.bio, answer.value.languages) == ("Twenty years of practice.", ("pt",))
    [entry] = world.database.tables.audit
    assert entry.details["bio"] == {"from": None, "to": "Twenty years of practice."}
    assert published.schedules == [ScheduleChange(world.psychologist.id)]


async def test_a_psychologist_changes_neither_their_subject_nor_activity_nor_anyone_else(
    world: Practice,
) -> None:
    other = world.another_psychologist()

    answers = [
        await world.cases.update_psychologist(
            UpdatePsychologist(
                world.own, "r", world.psychologist.id, PsychologistFields(subject="x")
            )
        ),
        await world.cases.update_psychologist(
            UpdatePsychologist(
                world.own, "r", world.psychologist.id, PsychologistFields(active=False)
            )
        ),
        await world.cases.update_psychologist(
            UpdatePsychologist(world.own, "r", other.id, PsychologistFields(name="Mine now"))
        ),
    ]

    assert [[p.code for p in a.problems] for a in answers] == [["FORBIDDEN"]] * 3
    assert world.database.tables.psychologists[other.id] == other


async def test_an_admin_deactivates_a_psychologist_and_the_audit_says_so(world: Practice) -> None:
    refused = await world.cases.deactivate_psychologist(
        DeactivatePsychologist(world.own, "r", world.psychologist.id)
    )
    answer = await world.cases.deactivate_psychologist(
        DeactivatePsychologist(ADMIN, "req-3", world.psychologist.id)
    )

    assert [p.code for p in refused.problems] == ["FORBIDDEN"]
    assert answer.value is not None
    assert not answer.value.active
    [entry] = world.database.tables.audit
    assert (entry.action, entry.details) == (
        "psychologist.deactivated",
        {"active": {"from": True, "to": False}},
    )


async def test_a_patient_updates_their_own_name_phone_and_time_zone(world: Practice) -> None:
    patient = a_patient(time_zone=None)
    world.database.tables.patients[patient.id] = patient
    assert patient.subject is not None
    viewer = Viewer(patient.subject, Role.PATIENT)

    answer = await world.cases.update_my_profile(
        UpdateMyProfile(viewer, "r", name="Ana Souza", phone="", time_zone="Europe/Lisbon")
    )
    wrong = await world.cases.update_my_profile(UpdateMyProfile(viewer, "r", time_zone="Nowhere"))

    assert answer.value is not None
    assert (answer.value.name, answer.value.phone, answer.value.time_zone) == (
        "Ana Souza",
        None,
        "Europe/Lisbon",
    )
    assert [(p.code, p.path) for p in wrong.problems] == [("INVALID_INPUT", ("timeZone",))]
    assert world.database.tables.patients[patient.id].time_zone == "Europe/Lisbon"


async def test_only_patients_have_a_profile_of_their_own_and_only_admins_add_patients(
    world: Practice,
) -> None:
    mine = await world.cases.update_my_profile(UpdateMyProfile(world.own, "r", name="Dr. X"))
    by_psychologist = await world.cases.create_patient(
        CreatePatient(world.own, "r", "Bia", "bia@mail.example")
    )
    by_admin = await world.cases.create_patient(
        CreatePatient(ADMIN, "r", "Bia", "bia@mail.example", "+5511999990002", "America/Sao_Paulo")
    )
    twice = await world.cases.create_patient(CreatePatient(ADMIN, "r", "Bia", "BIA@mail.example"))

    assert [p.code for p in mine.problems] == ["FORBIDDEN"]
    assert [p.code for p in by_psychologist.problems] == ["FORBIDDEN"]
    assert by_admin.value is not None
    assert [(p.code, p.path) for p in twice.problems] == [("INVALID_INPUT", ("email",))]
