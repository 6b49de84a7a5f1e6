"""Making a test's own psychologists and patients through the API, as an admin would."""

import uuid
from dataclasses import dataclass
from typing import Any

from graphql_client import Api

ADMIN = ("admin", "admin-1")
EVERY_DAY = [
    {"weekday": day, "startTime": "09:00", "endTime": "17:00"}
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


@dataclass(frozen=True)
class Person:
    id: str
    subject: str
    role: str

    @property
    def who(self) -> tuple[str, str]:
        return self.role, self.subject


async def psychologist(api: Api, **fields: Any) -> Person:
    tag = uuid.uuid4().hex[:10]
    subject = f"psychologist-{tag}"
    input = {
        "name": f"Dr. {tag}",
        "email": f"{tag}@clinic.example",
        "timeZone": "UTC",
        "workingHours": EVERY_DAY,
        "consultationFee": "100.00",
        "subject": subject,
        **fields,
    }
    body = await api.query(CREATE_PSYCHOLOGIST, as_=ADMIN, input=input)
    payload = body["data"]["createPsychologist"]
    assert payload["userErrors"] == [], payload
    return Person(payload["psychologist"]["id"], subject, "psychologist")


async def patient(api: Api, **fields: Any) -> Person:
    tag = uuid.uuid4().hex[:10]
    subject = f"patient-{tag}"
    input = {"name": f"Patient {tag}", "email": f"{tag}@mail.example", "subject": subject}
    body = await api.query(CREATE_PATIENT, as_=ADMIN, input={**input, **fields})
    payload = body["data"]["createPatient"]
    assert payload["userErrors"] == [], payload
    return Person(payload["patient"]["id"], subject, "patient")


def user_errors(body: dict[str, Any], field: str) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in body["data"][field]["userErrors"]]
