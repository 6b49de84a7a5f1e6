"""Requesting appointments: check each item on its own, then accept the valid ones together
in one transaction (patient, appointment, first event, outbox row), the idempotency key
enforced by a unique index in it."""

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from application.commands import RequestAppointments
from application.outcomes import Outcome, Problem
from application.queue_messages import decision_wanted
from application.request_items import (
    ItemChecks,
    PatientByEmail,
    PatientBySubject,
    Submission,
    Who,
    check_item,
    idempotency_of,
    problem_of,
)
from application.session_base import actor_of
from application.unit_of_work import (
    Idempotency,
    IdempotencyKey,
    Keyed,
    NewAppointment,
    Transactions,
    UnitOfWork,
)
from domain.appointments import Actor
from domain.bookings import Bookings
from domain.calendar import Calendar
from domain.people import Patient
from domain.policy import BookingPolicy
from domain.requests import AppointmentRequest, PatientProfile, normal_email
from domain.rules import RuleCode, check_conflicts
from domain.schedule import Interval
from domain.viewer import Role

MAX_BATCH = 100

FORBIDDEN = Problem("FORBIDDEN", (), "Psychologists cannot request appointments.")
BATCH_TOO_LARGE = Problem("BATCH_TOO_LARGE", (), f"A batch holds at most {MAX_BATCH} requests.")
# Enough around a request to see every session its buffers or its local date may meet.
AROUND = timedelta(days=2)
SLOT_TAKEN = Problem(
    "SLOT_TAKEN", ("scheduledAt",), "The time overlaps a confirmed appointment of the psychologist."
)
NO_PATIENT = Problem(
    "INVALID_INPUT",
    ("patient",),
    "A patient profile (name and email) is needed for a first booking, "
    "and its email may not belong to another patient.",
)
NOT_STORED = Problem("INVALID_INPUT", (), "The request could not be stored; try again.")


def too_many_pending(maximum: int) -> Problem:
    return Problem(
        "TOO_MANY_PENDING",
        (),
        f"You already have {maximum} requests waiting for a decision; wait for them, or "
        "cancel one, before asking for more.",
    )


KEY_REUSED = Problem(
    "IDEMPOTENCY_KEY_REUSED",
    ("idempotencyKey",),
    "This idempotency key was already used for a different request.",
)


class RequestAppointmentsHandler:
    """Behind requestAppointment and requestAppointments: one outcome per item, in order."""

    def __init__(
        self,
        *,
        transactions: Transactions,
        clock: Callable[[], datetime],
        policy: BookingPolicy,
        new_id: Callable[[], UUID],
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._policy = policy
        self._new_id = new_id

    async def __call__(self, command: RequestAppointments) -> list[Outcome]:
        if command.viewer.role is Role.PSYCHOLOGIST:
            return [Outcome.refused(FORBIDDEN) for _ in command.items]
        if len(command.items) > MAX_BATCH:
            return [Outcome.refused(BATCH_TOO_LARGE) for _ in command.items]
        now = self._clock()
        async with self._transactions() as unit:
            outcomes = await self._request(unit, command, now)
            await unit.commit()
        return outcomes

    async def _request(
        self, unit: UnitOfWork, command: RequestAppointments, now: datetime
    ) -> list[Outcome]:
        asked = [i for i in command.items if isinstance(i, AppointmentRequest)]
        checks = ItemChecks(
            viewer=command.viewer,
            calendars=await _calendars(unit, asked),
            now=now,
            policy=self._policy,
            request_id=command.request_id,
            new_id=self._new_id,
        )
        # A key used before answers as it did then, whatever has happened since: its
        # appointment decided, the slot held, the notice window closed. So keys are looked
        # up before any rule is checked again.
        keyed = {
            index: key
            for index, item in enumerate(command.items)
            if (key := idempotency_of(item, checks)) is not None
        }
        outcomes: dict[int, Outcome] = answered(keyed, await self._live_keys(unit, keyed, now))
        candidates: dict[int, Submission] = {}
        for index, item in enumerate(command.items):
            if index in outcomes:
                continue
            checked = check_item(item, checks)
            if isinstance(checked, Submission):
                candidates[index] = checked
            else:
                outcomes[index] = Outcome(None, tuple(checked))
        for index, problems in (await conflicts(unit, checks.calendars, candidates)).items():
            del candidates[index]
            outcomes[index] = Outcome(None, problems)
        outcomes.update(await self._store(unit, candidates, now, actor_of(command.viewer)))
        return [outcomes[index] for index in range(len(command.items))]

    async def _store(
        self, unit: UnitOfWork, candidates: dict[int, Submission], now: datetime, actor: Actor
    ) -> dict[int, Outcome]:
        results: dict[int, Outcome] = {}
        ready: dict[int, Submission] = {}
        patient_ids = await self._patient_ids(
            unit, list(dict.fromkeys(s.patient for s in candidates.values())), now
        )
        for index, submission in candidates.items():
            patient_id = patient_ids[submission.patient]
            if patient_id is None:
                results[index] = Outcome.refused(NO_PATIENT)
            else:
                ready[index] = submission.for_patient(patient_id)
        for index in await self._past_pending_cap(unit, ready):
            del ready[index]
            results[index] = Outcome.refused(too_many_pending(self._policy.max_pending_per_patient))
        stored = await unit.appointments.add(
            [
                NewAppointment(s.appointment, s.appointment.opening_event(actor), s.idempotency)
                for s in ready.values()
            ]
        )
        if stored:
            await unit.outbox.add(
                [decision_wanted(change.appointment) for change in stored], at=now
            )
        created = {change.appointment.id for change in stored}
        # Their keys were taken meanwhile (by a concurrent request, or an earlier item of
        # this batch): answer as it was answered.
        raced = {
            i: s.idempotency
            for i, s in ready.items()
            if s.appointment.id not in created and s.idempotency is not None
        }
        replays = await _replays(unit, raced)
        for index, submission in ready.items():
            if submission.appointment.id in created:
                results[index] = Outcome(submission.appointment)
            else:
                results[index] = replays.get(index, Outcome.refused(NOT_STORED))
        return results

    async def _live_keys(
        self, unit: UnitOfWork, keyed: dict[int, Idempotency], now: datetime
    ) -> dict[IdempotencyKey, Keyed]:
        """What the keys were used for, unless they have expired: keys older than the
        policy's lifetime are free again, taken off the appointment that used them (which
        keeps everything else)."""
        keys = _keys(keyed)
        found = await unit.appointments.keyed(keys) if keys else {}
        expired = [
            key
            for key, earlier in found.items()
            if earlier.appointment.created_at + self._policy.idempotency_ttl <= now
        ]
        if expired:
            await unit.appointments.release_keys(expired)
        return {key: earlier for key, earlier in found.items() if key not in expired}

    async def _past_pending_cap(self, unit: UnitOfWork, ready: dict[int, Submission]) -> list[int]:
        """The indexes that would take their patient past the cap on PENDING requests: the
        later items of a batch, once the earlier ones fill it."""
        counts = await unit.appointments.pending_counts(
            [s.appointment.patient_id for s in ready.values()]
        )
        refused = []
        for index, submission in ready.items():
            patient_id = submission.appointment.patient_id
            if counts[patient_id] >= self._policy.max_pending_per_patient:
                refused.append(index)
            else:
                counts[patient_id] += 1
        return refused

    async def _patient_ids(
        self, unit: UnitOfWork, wanted: list[Who], now: datetime
    ) -> dict[Who, UUID | None]:
        """Each patient's id, adding the new ones: those named by email all at once (a batch
        may name a hundred), a patient booking for themselves on their own."""
        by_email = [who for who in wanted if isinstance(who, PatientByEmail)]
        found: dict[Who, UUID | None] = {}
        if by_email:
            found.update(await patient_ids_by_email(unit, by_email, now, self._new_id))
        for who in wanted:
            if who not in found:
                found[who] = await patient_id_for(unit, who, now, self._new_id)
        return found


async def patient_id_for(
    unit: UnitOfWork, who: Who, now: datetime, new_id: Callable[[], UUID]
) -> UUID | None:
    """The patient's id, adding them when new (another request may add them meanwhile)."""
    people = unit.people
    if isinstance(who, PatientBySubject):
        found = await people.patient_id(subject=who.subject)
        if found is not None or who.profile is None:
            return found
        added = _new_patient(who.profile, who.subject, new_id)
        if await people.add_patient(added, at=now):
            return added.id
        return await people.patient_id(subject=who.subject)
    found = await people.patient_id(email=who.profile.email)
    if found is None:
        added = _new_patient(who.profile, None, new_id)
        if await people.add_patient(added, at=now):
            return added.id
        found = await people.patient_id(email=who.profile.email)
    return found


async def patient_ids_by_email(
    unit: UnitOfWork, wanted: list[PatientByEmail], now: datetime, new_id: Callable[[], UUID]
) -> dict[Who, UUID | None]:
    """``patient_id_for`` of many patients named by email, in at most three statements:
    find them, add the missing ones, find again those another request added meanwhile."""
    people = unit.people
    emails = {who: normal_email(who.profile.email) for who in wanted}
    found = await people.patient_ids_by_email(list(set(emails.values())))
    new: dict[str, Patient] = {}
    for who, email in emails.items():
        if email not in found and email not in new:
            new[email] = _new_patient(who.profile, None, new_id)
    if new:
        # In the order of their emails: two batches adding some of the same patients then
        # wait on each other in one order, never in a cycle (a deadlock).
        added = await people.add_patients([new[email] for email in sorted(new)], at=now)
        found.update({email: p.id for email, p in new.items() if p.id in added})
        taken = [email for email, p in new.items() if p.id not in added]
        if taken:
            found.update(await people.patient_ids_by_email(taken))
    return {who: found.get(email) for who, email in emails.items()}


def _new_patient(
    profile: PatientProfile, subject: str | None, new_id: Callable[[], UUID]
) -> Patient:
    return Patient(
        id=new_id(),
        subject=subject,
        name=profile.name.strip(),
        email=normal_email(profile.email),
        phone=profile.phone,
    )


async def _calendars(unit: UnitOfWork, asked: list[AppointmentRequest]) -> dict[UUID, Calendar]:
    if not asked:
        return {}
    around = Interval(
        min(item.scheduled_at for item in asked) - AROUND,
        max(item.scheduled_at for item in asked) + AROUND,
    )
    return await unit.calendars.calendars(list({i.psychologist_id for i in asked}), around)


async def conflicts(
    unit: UnitOfWork, calendars: dict[UUID, Calendar], candidates: dict[int, Submission]
) -> dict[int, tuple[Problem, ...]]:
    """What CONFIRMED sessions already rule out, answered at once rather than queued."""
    periods: dict[UUID, Interval] = {}
    for submission in candidates.values():
        wanted = submission.appointment
        held = Interval(wanted.scheduled_at - AROUND, wanted.ends_at + AROUND)
        known = periods.get(wanted.psychologist_id, held)
        periods[wanted.psychologist_id] = Interval(
            min(known.start, held.start), max(known.end, held.end)
        )
    booked = await unit.appointments.confirmed_bookings(periods)
    found: dict[int, tuple[Problem, ...]] = {}
    for index, submission in candidates.items():
        wanted = submission.appointment
        calendar = calendars[wanted.psychologist_id]
        violations = check_conflicts(
            calendar=calendar,
            interval=wanted.interval,
            psychologist_busy=Bookings(booked[wanted.psychologist_id], calendar.zone),
            patient_busy=(),
        )
        if violations:
            found[index] = tuple(
                SLOT_TAKEN if v.code is RuleCode.SLOT_TAKEN else problem_of(v) for v in violations
            )
    return found


def _keys(keyed: dict[int, Idempotency]) -> list[IdempotencyKey]:
    return list(dict.fromkeys((wanted.scope, wanted.key) for wanted in keyed.values()))


async def _replays(unit: UnitOfWork, keyed: dict[int, Idempotency]) -> dict[int, Outcome]:
    """What earlier requests with the same idempotency keys got, by index."""
    keys = _keys(keyed)
    return answered(keyed, await unit.appointments.keyed(keys) if keys else {})


def answered(
    keyed: dict[int, Idempotency], found: dict[IdempotencyKey, Keyed]
) -> dict[int, Outcome]:
    """The answer to each keyed item whose key was used before: the appointment it made,
    or a refusal when the key came with another request."""
    results: dict[int, Outcome] = {}
    for index, wanted in keyed.items():
        earlier = found.get((wanted.scope, wanted.key))
        if earlier is None:
            continue
        if earlier.fingerprint != wanted.fingerprint:
            results[index] = Outcome.refused(KEY_REUSED)
        else:
            results[index] = Outcome(earlier.appointment)
    return results
