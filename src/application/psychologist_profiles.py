"""Psychologists as data: an admin adds, changes and deactivates them; a psychologist changes
their own profile (not their subject, nor whether they are active)."""

from dataclasses import replace
from datetime import datetime
from typing import Any

from application.outcomes import Answer, Problem, problems_of
from application.permissions import ADMINS_ONLY, NO_PSYCHOLOGIST, NOT_YOURS, manages
from application.practice_base import PracticeUseCase, audit
from application.practice_commands import (
    CreatePsychologist,
    DeactivatePsychologist,
    PsychologistFields,
    UpdatePsychologist,
)
from application.unit_of_work import UnitOfWork
from domain.people import Psychologist
from domain.profiles import check_psychologist
from domain.viewer import Viewer

TAKEN = Problem(
    "INVALID_INPUT", ("email",), "Another psychologist already has this email or subject."
)
ADMIN_FIELDS = Problem(
    "FORBIDDEN", ("subject",), "Only an admin changes a psychologist's subject or activity."
)


class CreatePsychologistHandler(PracticeUseCase):
    async def __call__(self, command: CreatePsychologist) -> Answer[Psychologist]:
        if not command.viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)
        psychologist = Psychologist(
            id=self._new_id(),
            name=command.name.strip(),
            email=command.email,
            time_zone=command.time_zone,
            working_hours=command.working_hours,
            default_duration_minutes=command.default_duration_minutes,
            consultation_fee=command.consultation_fee,
            specialties=_tags(command.specialties),
            languages=_tags(command.languages),
            bio=command.bio or None,
            subject=command.subject or None,
        )
        problems = problems_of(check_psychologist(psychologist, self._policy))
        if problems:
            return Answer.refused(*problems)

        async def create(unit: UnitOfWork, now: datetime) -> Answer[Psychologist]:
            if not await unit.profiles.add_psychologist(psychologist, at=now):
                return Answer.refused(TAKEN)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=psychologist.id,
                action="psychologist.created",
                at=now,
                details=_profile(psychologist),
            )
            return Answer(psychologist)

        return await self._run(create)


class UpdatePsychologistHandler(PracticeUseCase):
    async def __call__(self, command: UpdatePsychologist) -> Answer[Psychologist]:
        fields = command.fields
        if not command.viewer.is_admin and (
            fields.subject is not None or fields.active is not None
        ):
            return Answer.refused(ADMIN_FIELDS)

        async def update(unit: UnitOfWork, now: datetime) -> Answer[Psychologist]:
            current = await unit.profiles.psychologist(command.psychologist_id)
            if current is None:
                return Answer.refused(NO_PSYCHOLOGIST)
            if not manages(command.viewer, current):
                return Answer.refused(NOT_YOURS)
            changed = _changed(current, fields)
            problems = problems_of(check_psychologist(changed, self._policy))
            if problems:
                return Answer.refused(*problems)
            if not await unit.profiles.update_psychologist(changed, at=now):
                return Answer.refused(TAKEN)
            await _audited(unit, command.viewer, command.request_id, current, changed, now)
            return Answer(changed)

        return await self._run(update)


class DeactivatePsychologistHandler(PracticeUseCase):
    """Hidden from search and refusing new requests; their confirmed sessions stay, and
    their pending ones are rejected when decided."""

    async def __call__(self, command: DeactivatePsychologist) -> Answer[Psychologist]:
        if not command.viewer.is_admin:
            return Answer.refused(ADMINS_ONLY)

        async def deactivate(unit: UnitOfWork, now: datetime) -> Answer[Psychologist]:
            current = await unit.profiles.psychologist(command.psychologist_id)
            if current is None:
                return Answer.refused(NO_PSYCHOLOGIST)
            changed = replace(current, active=False)
            await unit.profiles.update_psychologist(changed, at=now)
            await _audited(unit, command.viewer, command.request_id, current, changed, now)
            return Answer(changed)

        return await self._run(deactivate)


def _changed(current: Psychologist, fields: PsychologistFields) -> Psychologist:
    changes: dict[str, Any] = {}
    for name in (
        "name",
        "email",
        "time_zone",
        "default_duration_minutes",
        "consultation_fee",
        "subject",
        "active",
    ):
        value = getattr(fields, name)
        if value is not None:
            changes[name] = value.strip() if name == "name" else value
    if fields.specialties is not None:
        changes["specialties"] = _tags(fields.specialties)
    if fields.languages is not None:
        changes["languages"] = _tags(fields.languages)
    if fields.bio is not None:
        changes["bio"] = fields.bio or None
    return replace(current, **changes)


async def _audited(
    unit: UnitOfWork,
    viewer: Viewer,
    request_id: str,
    before: Psychologist,
    after: Psychologist,
    now: datetime,
) -> None:
    old, new = _profile(before), _profile(after)
    await audit(
        unit,
        viewer=viewer,
        request_id=request_id,
        psychologist_id=after.id,
        action="psychologist.deactivated"
        if before.active and not after.active
        else "psychologist.updated",
        at=now,
        details={key: {"from": old[key], "to": new[key]} for key in new if old[key] != new[key]},
    )


def _profile(psychologist: Psychologist) -> dict[str, Any]:
    return {
        "name": psychologist.name,
        "email": psychologist.email,
        "subject": psychologist.subject,
        "specialties": list(psychologist.specialties),
        "languages": list(psychologist.languages),
        "timeZone": psychologist.time_zone,
        "bio": psychologist.bio,
        "defaultDurationMinutes": psychologist.default_duration_minutes,
        "consultationFee": str(psychologist.consultation_fee),
        "active": psychologist.active,
    }


def _tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tag.strip() for tag in tags))
