"""The worker's decision on a request, and the rejection of one that could not be decided."""

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from application.changes import StatusChange
from application.commands import DecideAppointment, RejectFailedRequest
from application.meeting_links import MeetingLinks, with_meeting_link
from application.queue_messages import expiry_due
from application.unit_of_work import Transactions, UnitOfWork
from domain.appointments import SYSTEM, Appointment, AppointmentStatus, RejectionReason
from domain.calendar import Calendar
from domain.errors import SlotTaken
from domain.lifecycle import hold, keep_time
from domain.policy import BookingPolicy
from domain.rules import decide
from domain.schedule import Interval

log = logging.getLogger("appointment_api.decisions")
# Enough around a request to see every session its buffers or its local date may meet.
AROUND = timedelta(days=2)


class DecideAppointmentHandler:
    """One message's decision: CONFIRMED or REJECTED with a reason, in one transaction that
    holds the psychologist's schedule and the patient still; None when the request was
    already decided (or does not exist), so the message is simply acknowledged."""

    def __init__(
        self,
        *,
        transactions: Transactions,
        clock: Callable[[], datetime],
        policy: BookingPolicy,
        meetings: MeetingLinks,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._policy = policy
        self._meetings = meetings

    async def __call__(self, command: DecideAppointment) -> StatusChange | None:
        now = self._clock()
        try:
            async with self._transactions() as unit:
                change = await self._decide(unit, command, now)
                await unit.commit()
                _logged(change)
            return change
        except SlotTaken:
            # The database saw an overlap the re-check could not (another decision
            # committed in between): the constraint has the last word, and it means SLOT_TAKEN.
            pass
        async with self._transactions() as unit:
            change = await reject_if_pending(
                unit, command.appointment_id, RejectionReason.SLOT_TAKEN, now, command.request_id
            )
            await unit.commit()
            _logged(change)
        return change

    async def _decide(
        self, unit: UnitOfWork, command: DecideAppointment, now: datetime
    ) -> StatusChange | None:
        seen = await unit.appointments.get(command.appointment_id, hold=False)
        if seen is None or not _undecided(seen):
            return None
        # Holding the psychologist serialises every decision on their schedule (and every
        # change of their calendar), the patient every decision for that patient, which
        # another psychologist's message group may bring at the same moment; then the
        # request itself. Always in this order, so no two wait on each other.
        around = Interval(seen.scheduled_at - AROUND, seen.ends_at + AROUND)
        calendar = await unit.calendars.lock(seen.psychologist_id, around)
        await unit.people.lock_patient(seen.patient_id)
        current = await _pending(unit, command.appointment_id)
        if current is None:
            return None
        if calendar is None:
            raise LookupError(f"appointment {current.id} names no known psychologist")
        # Held with the buffers in force now, which the database keeps apart from others'.
        current = replace(
            current,
            buffer_before_minutes=calendar.settings.buffer_before // timedelta(minutes=1),
            buffer_after_minutes=calendar.settings.buffer_after // timedelta(minutes=1),
        )
        reason = await rule_on(
            unit, calendar, current, current.scheduled_at, around, now=now, policy=self._policy
        )
        if reason is None and calendar.session_policy.requires_confirmation:
            # The rules pass: the time is held until the psychologist answers, or expires.
            # Never past the start: an answer after it would come too late to matter.
            until = min(now + calendar.session_policy.confirmation_timeout, current.scheduled_at)
            changed, event = hold(
                current, until=until, at=now, request_id=command.request_id, actor=SYSTEM
            )
            await unit.outbox.add([expiry_due(changed, until, command.request_id)], at=now)
            return await unit.appointments.record(changed, event)
        target = AppointmentStatus.REJECTED if reason else AppointmentStatus.CONFIRMED
        changed, event = current.transition(
            target,
            at=now,
            reason=reason.value if reason else None,
            request_id=command.request_id,
            actor=SYSTEM,
        )
        return await unit.appointments.record(with_meeting_link(changed, self._meetings), event)


class RejectFailedRequestHandler:
    """A request whose message failed every delivery: REJECTED with PROCESSING_FAILED, so
    that none stays PENDING forever."""

    def __init__(self, *, transactions: Transactions, clock: Callable[[], datetime]) -> None:
        self._transactions = transactions
        self._clock = clock

    async def __call__(self, command: RejectFailedRequest) -> StatusChange | None:
        async with self._transactions() as unit:
            change = await reject_if_pending(
                unit,
                command.appointment_id,
                RejectionReason.PROCESSING_FAILED,
                self._clock(),
                command.request_id,
                new_time=command.new_time,
            )
            await unit.commit()
        return change


async def reject_if_pending(
    unit: UnitOfWork,
    appointment_id: UUID,
    reason: RejectionReason,
    at: datetime,
    request_id: str | None,
    *,
    new_time: datetime | None = None,
) -> StatusChange | None:
    """Within ``unit``: REJECTED with ``reason`` when still PENDING (held or not). With
    ``new_time``, only that new time is refused, if it is still the one asked for."""
    current = await unit.appointments.get(appointment_id)
    if current is None:
        return None
    if new_time is not None:
        if current.reschedule_to != new_time:
            return None
        changed, event = keep_time(current, reason, at=at, request_id=request_id, actor=SYSTEM)
    elif current.status is AppointmentStatus.PENDING:
        changed, event = current.transition(
            AppointmentStatus.REJECTED,
            at=at,
            reason=reason.value,
            request_id=request_id,
            actor=SYSTEM,
        )
    else:
        return None
    return await unit.appointments.record(changed, event)


def _logged(change: StatusChange | None) -> None:
    # Before the change is published, so that the log tells it first.
    if change is not None:
        log.info(
            "decided %s",
            change.appointment.status.value,
            extra={
                "request_id": change.event.request_id,
                "appointment_id": str(change.appointment.id),
                "reason": change.event.reason,
            },
        )


async def _pending(unit: UnitOfWork, appointment_id: UUID) -> Appointment | None:
    """The request, held, while it still waits for the worker's decision."""
    current = await unit.appointments.get(appointment_id)
    return current if current is not None and _undecided(current) else None


def _undecided(appointment: Appointment) -> bool:
    # A held request passed the rules already: the psychologist decides it now.
    return (
        appointment.status is AppointmentStatus.PENDING
        and appointment.awaiting_confirmation_until is None
    )


async def rule_on(
    unit: UnitOfWork,
    calendar: Calendar,
    appointment: Appointment,
    starts_at: datetime,
    around: Interval,
    *,
    now: datetime,
    policy: BookingPolicy,
) -> RejectionReason | None:
    """The worker's ruling on ``appointment`` at ``starts_at``, against the sessions its
    psychologist and patient hold ``around`` it (its own left out)."""
    return decide(
        calendar=calendar,
        starts_at=starts_at,
        duration_minutes=appointment.duration_minutes,
        appointment_type=appointment.appointment_type,
        now=now,
        policy=policy,
        psychologist_busy=await unit.appointments.psychologist_confirmed(
            appointment.psychologist_id, around, excluding=appointment.id
        ),
        patient_busy=await unit.appointments.patient_confirmed(
            appointment.patient_id, around, excluding=appointment.id
        ),
    )
