"""Requesting appointments: validate each item on its own, then accept the valid ones
together in one transaction. Expected failures are data (user errors), not exceptions."""

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import orjson

from domain.appointments import Appointment, AppointmentStatus
from domain.people import Psychologist
from domain.requests import AppointmentRequest, InputProblem, PatientProfile, check_free_text
from domain.rules import BookingPolicy, RuleCode, check_request
from domain.viewer import Role, Viewer
from resolvers.ports import (
    Accepted,
    BookingStore,
    PatientByEmail,
    PatientBySubject,
    Refused,
    StatusEventPublisher,
    Submission,
)

MAX_BATCH = 100

# Rule codes the contract names as they are; the rest are plain invalid input.
USER_ERROR_FOR_RULE = {
    RuleCode.IN_THE_PAST: "IN_THE_PAST",
    RuleCode.TOO_SOON: "TOO_SOON",
    RuleCode.TOO_FAR_AHEAD: "TOO_FAR_AHEAD",
    RuleCode.OUTSIDE_WORKING_HOURS: "OUTSIDE_WORKING_HOURS",
    RuleCode.SLOT_TAKEN: "SLOT_TAKEN",
    RuleCode.PSYCHOLOGIST_UNAVAILABLE: "PSYCHOLOGIST_UNAVAILABLE",
    RuleCode.NOT_WHOLE_MINUTE: "INVALID_INPUT",
    RuleCode.INVALID_DURATION: "INVALID_INPUT",
    RuleCode.PATIENT_CONFLICT: "INVALID_INPUT",
}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    path: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    appointment: Appointment | None
    problems: tuple[Problem, ...] = ()


Parsed = AppointmentRequest | list[InputProblem]


def fingerprint(request: AppointmentRequest, duration: int) -> str:
    profile = request.patient
    canonical = orjson.dumps(
        [
            str(request.psychologist_id),
            request.scheduled_at.isoformat(),
            duration,
            request.appointment_type.value,
            request.meeting_type.value,
            request.notes,
            [profile.name, profile.email.lower(), profile.phone] if profile else None,
        ]
    )
    return hashlib.sha256(canonical).hexdigest()


def _problems_of(found: Sequence[InputProblem]) -> list[Problem]:
    return [Problem("INVALID_INPUT", p.path, p.message) for p in found]


def _who(
    viewer: Viewer, profile: PatientProfile | None
) -> PatientBySubject | PatientByEmail | None:
    if viewer.role is Role.PATIENT:
        return PatientBySubject(viewer.subject, profile)
    if profile is not None:
        return PatientByEmail(profile)
    return None


class RequestAppointments:
    """The use case behind requestAppointment and requestAppointments."""

    def __init__(
        self,
        *,
        store: BookingStore,
        psychologists: Callable[[Sequence[UUID]], Awaitable["PsychologistLookup"]],
        clock: Callable[[], datetime],
        policy: BookingPolicy,
        new_id: Callable[[], UUID],
        events: StatusEventPublisher,
    ) -> None:
        self._store = store
        self._events = events
        self._psychologists = psychologists
        self._clock = clock
        self._policy = policy
        self._new_id = new_id

    async def __call__(
        self, viewer: Viewer, items: Sequence[Parsed], *, request_id: str
    ) -> list[Outcome]:
        if viewer.role is Role.PSYCHOLOGIST:
            forbidden = Problem("FORBIDDEN", (), "Psychologists cannot request appointments.")
            return [Outcome(None, (forbidden,)) for _ in items]
        if len(items) > MAX_BATCH:
            too_many = Problem(
                "BATCH_TOO_LARGE", (), f"A batch holds at most {MAX_BATCH} requests."
            )
            return [Outcome(None, (too_many,)) for _ in items]
        now = self._clock()
        wanted = [item.psychologist_id for item in items if isinstance(item, AppointmentRequest)]
        known = await self._psychologists(wanted) if wanted else {}
        outcomes: dict[int, Outcome] = {}
        candidates: dict[int, Submission] = {}
        for index, item in enumerate(items):
            checked = self._check(viewer, item, known, now, request_id)
            if isinstance(checked, Submission):
                candidates[index] = checked
            else:
                outcomes[index] = Outcome(None, tuple(checked))
        taken = await self._store.confirmed_overlaps(
            [(s.appointment.psychologist_id, s.appointment.interval) for s in candidates.values()]
        )
        for position, index in enumerate(list(candidates)):
            if position in taken:
                del candidates[index]
                outcomes[index] = Outcome(None, (SLOT_TAKEN,))
        results = await self._store.submit(list(candidates.values()), at=now)
        # After the commit, so that a live feed shows new requests as they are stored.
        for result in results:
            if isinstance(result, Accepted) and result.event is not None:
                await self._events.publish(result.appointment, result.event)
        for index, result in zip(candidates, results, strict=True):
            outcomes[index] = (
                Outcome(None, (Problem(result.code, result.path, result.message),))
                if isinstance(result, Refused)
                else Outcome(result.appointment)
            )
        return [outcomes[index] for index in range(len(items))]

    def _check(
        self,
        viewer: Viewer,
        item: Parsed,
        known: "PsychologistLookup",
        now: datetime,
        request_id: str,
    ) -> Submission | list[Problem]:
        if not isinstance(item, AppointmentRequest):
            return _problems_of(item)
        problems = _problems_of(check_free_text(item))
        who = _who(viewer, item.patient)
        if who is None:
            problems.append(Problem("INVALID_INPUT", ("patient",), "Staff must name the patient."))
        psychologist = known.get(item.psychologist_id)
        if psychologist is None:
            problems.append(Problem("NOT_FOUND", ("psychologistId",), "No such psychologist."))
            return problems
        duration = item.duration_minutes or psychologist.default_duration_minutes
        problems.extend(
            Problem(USER_ERROR_FOR_RULE[v.code], (v.field,), v.message)
            for v in check_request(
                psychologist=psychologist,
                starts_at=item.scheduled_at,
                duration_minutes=duration,
                now=now,
                policy=self._policy,
            )
        )
        if problems or who is None:
            return problems
        appointment = Appointment(
            id=self._new_id(),
            patient_id=UUID(int=0),
            psychologist_id=psychologist.id,
            scheduled_at=item.scheduled_at,
            duration_minutes=duration,
            appointment_type=item.appointment_type,
            meeting_type=item.meeting_type,
            consultation_fee=psychologist.consultation_fee,
            status=AppointmentStatus.PENDING,
            version=1,
            created_at=now,
            updated_at=now,
            notes=item.notes,
            request_id=request_id,
        )
        return Submission(
            appointment=appointment,
            patient=who,
            idempotency_scope=viewer.subject if item.idempotency_key else None,
            idempotency_key=item.idempotency_key,
            fingerprint=fingerprint(item, duration),
        )


SLOT_TAKEN = Problem(
    "SLOT_TAKEN", ("scheduledAt",), "The time overlaps a confirmed appointment of the psychologist."
)
PsychologistLookup = dict[UUID, Psychologist]
