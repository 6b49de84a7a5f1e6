"""Mutations about people: psychologists as data (admins; a psychologist edits their own
profile) and patients' profiles."""

import strawberry
from strawberry.types import Info

from application.practice_commands import (
    CreatePatient,
    CreatePsychologist,
    DeactivatePsychologist,
    PsychologistFields,
    UpdateMyProfile,
    UpdatePsychologist,
)
from resolvers.context import Context
from resolvers.mutation_input import BadInput, parse_hours, parse_id, user_errors, who
from resolvers.types.entities import Patient, Psychologist
from resolvers.types.practice_inputs import (
    CreatePatientInput,
    CreatePsychologistInput,
    PatientPayload,
    PsychologistIdInput,
    PsychologistPayload,
    UpdateMyProfileInput,
    UpdatePsychologistInput,
)


@strawberry.type
class PeopleMutations:
    @strawberry.mutation(description="Admins only.")
    async def create_psychologist(
        self, info: Info[Context, None], input: CreatePsychologistInput
    ) -> PsychologistPayload:
        viewer, request_id = who(info)
        try:
            hours = parse_hours(input.working_hours, "workingHours")
        except BadInput as error:
            return PsychologistPayload(psychologist=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.create_psychologist(
            CreatePsychologist(
                viewer=viewer,
                request_id=request_id,
                name=input.name,
                email=input.email,
                time_zone=input.time_zone,
                working_hours=hours,
                default_duration_minutes=input.default_duration_minutes,
                consultation_fee=input.consultation_fee,
                specialties=tuple(input.specialties),
                languages=tuple(input.languages),
                bio=input.bio,
                subject=input.subject,
            )
        )
        return PsychologistPayload(
            psychologist=Psychologist.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="An admin changes any field; a psychologist their own profile, not "
        "their subject nor whether they are active."
    )
    async def update_psychologist(
        self, info: Info[Context, None], input: UpdatePsychologistInput
    ) -> PsychologistPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
        except BadInput as error:
            return PsychologistPayload(psychologist=None, user_errors=user_errors([error.problem]))
        fields = PsychologistFields(
            name=input.name,
            email=input.email,
            specialties=None if input.specialties is None else tuple(input.specialties),
            languages=None if input.languages is None else tuple(input.languages),
            time_zone=input.time_zone,
            bio=input.bio,
            default_duration_minutes=input.default_duration_minutes,
            consultation_fee=input.consultation_fee,
            subject=input.subject,
            active=input.active,
        )
        answer = await info.context.services.use_cases.update_psychologist(
            UpdatePsychologist(viewer, request_id, key, fields)
        )
        return PsychologistPayload(
            psychologist=Psychologist.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(
        description="Admins only. Hidden from search and refusing new requests; confirmed "
        "sessions stay, pending ones are rejected when decided."
    )
    async def deactivate_psychologist(
        self, info: Info[Context, None], input: PsychologistIdInput
    ) -> PsychologistPayload:
        viewer, request_id = who(info)
        try:
            key = parse_id(input.psychologist_id, "Psychologist", "psychologistId")
        except BadInput as error:
            return PsychologistPayload(psychologist=None, user_errors=user_errors([error.problem]))
        answer = await info.context.services.use_cases.deactivate_psychologist(
            DeactivatePsychologist(viewer, request_id, key)
        )
        return PsychologistPayload(
            psychologist=Psychologist.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="A patient's own name, phone and time zone.")
    async def update_my_profile(
        self, info: Info[Context, None], input: UpdateMyProfileInput
    ) -> PatientPayload:
        viewer, request_id = who(info)
        answer = await info.context.services.use_cases.update_my_profile(
            UpdateMyProfile(viewer, request_id, input.name, input.phone, input.time_zone)
        )
        return PatientPayload(
            patient=Patient.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )

    @strawberry.mutation(description="Admins only.")
    async def create_patient(
        self, info: Info[Context, None], input: CreatePatientInput
    ) -> PatientPayload:
        viewer, request_id = who(info)
        answer = await info.context.services.use_cases.create_patient(
            CreatePatient(
                viewer=viewer,
                request_id=request_id,
                name=input.name,
                email=input.email,
                phone=input.phone,
                time_zone=input.time_zone,
                subject=input.subject,
            )
        )
        return PatientPayload(
            patient=Patient.from_domain(answer.value) if answer.value else None,
            user_errors=user_errors(answer.problems),
        )
