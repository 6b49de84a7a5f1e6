"""Weekly series: up to 26 sessions requested in one go, each decided on its own by the
worker, seen together as one series; cancelled from a given session on."""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import orjson

from application.cancelling import cancel
from application.lifecycle_commands import CancelSeries, RequestSeries
from application.outcomes import Outcome, Problem
from application.queue_messages import decision_wanted
from application.request_items import ItemChecks, Submission, check_item, fingerprint
from application.requesting import FORBIDDEN, KEY_REUSED, NO_PATIENT, conflicts, patient_id_for
from application.session_base import AROUND, SessionUseCase, actor_of
from application.unit_of_work import Idempotency, NewAppointment, UnitOfWork
from domain.appointments import Appointment, AppointmentStatus
from domain.schedule import Interval
from domain.series import MAX_OCCURRENCES, MIN_OCCURRENCES, Series, occurrence_starts
from domain.viewer import Role

BAD_COUNT = Problem(
    "INVALID_INPUT",
    ("occurrences",),
    f"A series has {MIN_OCCURRENCES} to {MAX_OCCURRENCES} sessions.",
)
NO_PSYCHOLOGIST = Problem("NOT_FOUND", ("psychologistId",), "No such psychologist.")
NO_SERIES = Problem("NOT_FOUND", ("seriesId",), "No such series.")
NOT_IN_SERIES = Problem("NOT_FOUND", ("fromAppointmentId",), "No such session in this series.")
NOTHING_ACCEPTED = Problem(
    "INVALID_INPUT", ("occurrences",), "No session of the series can be booked as asked."
)


@dataclass(frozen=True, slots=True)
class SeriesOutcome:
    """The series (None when refused) and each session's outcome, in order."""

    series: Series | None
    occurrences: tuple[Outcome, ...] = ()
    problems: tuple[Problem, ...] = ()


class RequestSeriesHandler(SessionUseCase):
    async def __call__(self, command: RequestSeries) -> SeriesOutcome:
        if command.viewer.role is Role.PSYCHOLOGIST:
            return SeriesOutcome(None, problems=(FORBIDDEN,))
        if not MIN_OCCURRENCES <= command.occurrences <= MAX_OCCURRENCES:
            return SeriesOutcome(None, problems=(BAD_COUNT,))
        now = self._clock()
        async with self._transactions() as unit:
            outcome = await self._request(unit, command, now)
            if outcome.series is not None:
                await unit.commit()
        return outcome

    async def _request(
        self, unit: UnitOfWork, command: RequestSeries, now: datetime
    ) -> SeriesOutcome:
        template = command.template
        first = template.scheduled_at
        span = Interval(
            first - AROUND,
            first + timedelta(weeks=command.occurrences * command.frequency.weeks) + AROUND,
        )
        calendars = await unit.calendars.calendars([template.psychologist_id], span)
        calendar = calendars.get(template.psychologist_id)
        if calendar is None:
            return SeriesOutcome(None, problems=(NO_PSYCHOLOGIST,))
        key = _idempotency(command)
        if key is not None:
            replay = await _replay(unit, key)
            if replay is not None:
                return replay
        starts = occurrence_starts(first, command.occurrences, command.frequency, calendar.zone)
        checks = ItemChecks(
            viewer=command.viewer,
            calendars=calendars,
            now=now,
            policy=self._policy,
            request_id=command.request_id,
            new_id=self._new_id,
        )
        results: dict[int, Outcome] = {}
        candidates: dict[int, Submission] = {}
        for index, start in enumerate(starts):
            checked = check_item(
                replace(template, scheduled_at=start, idempotency_key=None), checks
            )
            if isinstance(checked, Submission):
                candidates[index] = checked
            else:
                results[index] = Outcome(None, tuple(checked))
        for index, problems in (await conflicts(unit, calendars, candidates)).items():
            del candidates[index]
            results[index] = Outcome(None, problems)
        if not candidates:
            ordered = tuple(results[index] for index in range(len(starts)))
            return SeriesOutcome(None, ordered, (NOTHING_ACCEPTED,))
        who = next(iter(candidates.values())).patient
        patient_id = await patient_id_for(unit, who, now, self._new_id)
        if patient_id is None:
            return SeriesOutcome(None, problems=(NO_PATIENT,))
        series = Series(
            id=self._new_id(),
            patient_id=patient_id,
            psychologist_id=template.psychologist_id,
            frequency=command.frequency,
            occurrences=command.occurrences,
            first_scheduled_at=first,
            duration_minutes=next(iter(candidates.values())).appointment.duration_minutes,
            appointment_type=template.appointment_type,
            meeting_type=template.meeting_type,
            created_at=now,
            request_id=command.request_id,
        )
        if not await unit.series.add(series, key):
            # A concurrent request with the same key stored its series first.
            replay = await _replay(unit, key) if key is not None else None
            return replay or SeriesOutcome(None, problems=(KEY_REUSED,))
        made = [
            replace(
                submission.appointment,
                patient_id=patient_id,
                series_id=series.id,
                series_index=index,
            )
            for index, submission in candidates.items()
        ]
        actor = actor_of(command.viewer)
        await unit.appointments.add([NewAppointment(a, a.opening_event(actor)) for a in made])
        await unit.outbox.add([decision_wanted(a) for a in made], at=now)
        for appointment in made:
            results[appointment.series_index or 0] = Outcome(appointment)
        return SeriesOutcome(series, tuple(results[index] for index in range(len(starts))))


class CancelSeriesHandler(SessionUseCase):
    """Cancels each session of the series from the given one on that can still be
    cancelled; the ones already cancelled, decided against or over are left as they are,
    so asking again changes nothing."""

    async def __call__(self, command: CancelSeries) -> "CancelledSeries":
        now = self._clock()
        async with self._transactions() as unit:
            answer = await self._cancel(unit, command, now)
            if not answer.problems:
                await unit.commit()
        return answer

    async def _cancel(
        self, unit: UnitOfWork, command: CancelSeries, now: datetime
    ) -> "CancelledSeries":
        series = await unit.series.get(command.series_id, visible_to=command.viewer)
        if series is None:
            return CancelledSeries(None, problems=(NO_SERIES,))
        occurrences = await unit.series.occurrences(series.id)
        start = 0
        if command.from_appointment_id is not None:
            found = [a for a in occurrences if a.id == command.from_appointment_id]
            if not found:
                return CancelledSeries(None, problems=(NOT_IN_SERIES,))
            start = found[0].series_index or 0
        cancelled = []
        for appointment in occurrences:
            if (appointment.series_index or 0) < start or not _cancellable(appointment, now):
                continue
            outcome = await cancel(
                unit,
                command.viewer,
                appointment.id,
                reason=command.reason,
                at=now,
                request_id=command.request_id,
            )
            if outcome.appointment is None:
                return CancelledSeries(None, problems=outcome.problems)
            cancelled.append(outcome.appointment)
        return CancelledSeries(series, tuple(cancelled))


@dataclass(frozen=True, slots=True)
class CancelledSeries:
    series: Series | None
    cancelled: tuple[Appointment, ...] = ()
    problems: tuple[Problem, ...] = ()


def _cancellable(appointment: Appointment, now: datetime) -> bool:
    return (
        appointment.status in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
        and appointment.scheduled_at > now
    )


def _idempotency(command: RequestSeries) -> Idempotency | None:
    template = command.template
    if not template.idempotency_key:
        return None
    duration = template.duration_minutes or 0
    asked = orjson.dumps(
        [fingerprint(template, duration), command.occurrences, command.frequency.value]
    )
    return Idempotency(
        command.viewer.subject, template.idempotency_key, hashlib.sha256(asked).hexdigest()
    )


async def _replay(unit: UnitOfWork, key: Idempotency) -> SeriesOutcome | None:
    earlier = await unit.series.keyed(key.scope, key.key)
    if earlier is None:
        return None
    series, asked = earlier
    if asked != key.fingerprint:
        return SeriesOutcome(None, problems=(KEY_REUSED,))
    occurrences = await unit.series.occurrences(series.id)
    return SeriesOutcome(series, tuple(Outcome(a) for a in occurrences))
