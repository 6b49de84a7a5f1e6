"""A patient's own profile, and the patients an admin adds."""

from dataclasses import replace
from datetime import datetime

from application.outcomes import Answer, Problem, problems_of
from application.permissions import ADMINS_ONLY, PATIENTS_ONLY
from application.practice_base import PracticeUseCase
from application.practice_commands import CreatePatient, UpdateMyProfile
from application.unit_of_work import UnitOfWork
from domain.people import Patient
from domain.profiles import check_patient
from domain.requests import normal_email
from domain.viewer import Role

NO_PROFILE = Problem(
    "NOT_FOUND", (), "You have no profile yet: it is made with your first booking."
)
TAKEN = Problem("INVALID_INPUT", ("email",), "Another patient already has this email or subject.")


class UpdateMyProfileHandler(PracticeUseCase):
    async def __call__(self, command: UpdateMyProfile) -> Answer[Patient]:
        if command.viewer.role is not Role.PATIENT:
            return Answer.refused(PATIENTS_ONLY)

        async def update(unit: UnitOfWork, now: datetime) -> Answer[Patient]:
            patient_id = await unit.people.patient_id(subject=command.viewer.subject)
            current = None if patient_id is None else await unit.profiles.patient(patient_id)
            if current is None:
                return Answer.refused(NO_PROFILE)
            changed = replace(
                current,
                name=current.name if command.name is None else command.name.strip(),
                phone=current.phone if command.phone is None else command.phone or None,
                time_zone=(
                    current.time_zone if command.time_zone is None else command.time_zone or None
                ),
            )
            problems = problems_of(check_patient(changed))
            if problems:
                return Answer.refused(*problems)
            await unit.profiles.update_patient(changed, at=now)
            return Answer(changed)

        return await self._run(update)


class CreatePatientHandler(PracticeUseCase):
    async def __call__(self, command: CreatePatient) -> Answer[Patient]:
        if not command.viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        patient = Patient(
            id=self._new_id(),
            name=command.name.strip(),
            email=normal_email(command.email),
            phone=command.phone or None,
            subject=command.subject or None,
            time_zone=command.time_zone or None,
        )
        problems = problems_of(check_patient(patient))
        if patient.subject is not None and not 1 <= len(patient.subject) <= 200:
            problems += (Problem("INVALID_INPUT", ("subject",), "1 to 200 characters."),)
        if problems:
            return Answer.refused(*problems)

        async def create(unit: UnitOfWork, now: datetime) -> Answer[Patient]:
            if not await unit.people.add_patient(patient, at=now):
                return Answer.refused(TAKEN)
            return Answer(patient)

        return await self._run(create)
