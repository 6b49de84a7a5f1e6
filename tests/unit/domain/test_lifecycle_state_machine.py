"""Random lives of sessions against the domain's rules: request, decide, confirm, decline,
expire, reschedule, cancel, complete, no-show and pay, in any order; after every step no
two sessions that hold time overlap, every change was an allowed one, each history is
complete and ordered, and versions only go up."""

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import (
    ALLOWED_TRANSITIONS,
    SYSTEM,
    Actor,
    ActorRole,
    Appointment,
    AppointmentStatus,
    EventKind,
    RejectionReason,
    StatusEvent,
    cancellation_problem,
)
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.lifecycle import (
    ask_new_time,
    hold,
    is_overdue,
    keep_time,
    move,
    outcome_problem,
    reschedule_problem,
    settled,
    with_payment,
)
from domain.rules import check_conflicts
from domain.schedule import Interval

PSYCHOLOGIST = a_psychologist()
CALENDAR = Calendar(PSYCHOLOGIST)
PATIENTS = [a_patient() for _ in range(3)]
STAFF = Actor(ActorRole.PSYCHOLOGIST, str(PSYCHOLOGIST.subject))
PATIENT = Actor(ActorRole.PATIENT, "patient")
# Hour-long sessions on a grid of half hours over two days: plenty of overlaps.
SLOTS = st.integers(min_value=0, max_value=96).map(
    lambda n: NOW + timedelta(days=2, minutes=30 * n)
)
TIMEOUT = timedelta(hours=6)


class SessionLives(RuleBasedStateMachine):
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.sessions: dict[UUID, Appointment] = {}
        self.histories: dict[UUID, list[StatusEvent]] = {}

    # --- helpers ----------------------------------------------------------------------

    def _store(self, changed: Appointment, event: StatusEvent) -> None:
        before = self.sessions[changed.id]
        assert changed.version == before.version + 1
        assert event.version == changed.version
        self.sessions[changed.id] = changed
        self.histories[changed.id].append(event)

    def _free(self, appointment: Appointment, interval: Interval) -> bool:
        others = [
            Booked(other.scheduled_at, other.blocked)
            for other in self.sessions.values()
            if other.holds_slot and other.id != appointment.id
        ]
        return not check_conflicts(
            calendar=CALENDAR, interval=interval, psychologist_busy=others, patient_busy=()
        )

    # --- the rules --------------------------------------------------------------------

    @rule(target=ids, start=SLOTS, patient=st.sampled_from(PATIENTS))
    def request(self, start: object, patient: object) -> UUID:
        made = an_appointment(
            PSYCHOLOGIST, patient, id=uuid4(), scheduled_at=start, created_at=self.now
        )
        self.sessions[made.id] = made
        self.histories[made.id] = [made.opening_event(PATIENT)]
        return made.id

    @rule(key=ids, confirm_first=st.booleans())
    def decide(self, key: UUID, confirm_first: bool) -> None:
        current = self.sessions[key]
        if current.status is not AppointmentStatus.PENDING or current.awaiting_confirmation_until:
            return
        if not self._free(current, current.interval):
            self._store(
                *current.transition(
                    AppointmentStatus.REJECTED,
                    at=self.now,
                    reason=RejectionReason.SLOT_TAKEN.value,
                    actor=SYSTEM,
                )
            )
        elif confirm_first:
            self._store(*current.transition(AppointmentStatus.CONFIRMED, at=self.now, actor=SYSTEM))
        else:
            self._store(
                *hold(current, until=self.now + TIMEOUT, at=self.now, request_id=None, actor=SYSTEM)
            )

    @rule(key=ids, confirm=st.booleans())
    def answer(self, key: UUID, confirm: bool) -> None:
        current = self.sessions[key]
        if current.awaiting_confirmation_until is None or is_overdue(current, now=self.now):
            return
        if confirm:
            self._store(*current.transition(AppointmentStatus.CONFIRMED, at=self.now, actor=STAFF))
        else:
            self._store(
                *current.transition(
                    AppointmentStatus.REJECTED,
                    at=self.now,
                    reason=RejectionReason.DECLINED_BY_PSYCHOLOGIST.value,
                    actor=STAFF,
                    note="not this week",
                )
            )

    @rule(hours=st.integers(min_value=1, max_value=30))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(key=ids)
    def expire(self, key: UUID) -> None:
        current = self.sessions[key]
        if is_overdue(current, now=self.now):
            self._store(
                *current.transition(
                    AppointmentStatus.REJECTED,
                    at=self.now,
                    reason=RejectionReason.CONFIRMATION_EXPIRED.value,
                    actor=SYSTEM,
                )
            )

    @rule(key=ids, to=SLOTS)
    def ask_to_move(self, key: UUID, to: object) -> None:
        current = self.sessions[key]
        if reschedule_problem(current, now=self.now) is None and to != current.scheduled_at:
            self._store(*ask_new_time(current, to, at=self.now, request_id=None, actor=PATIENT))  # type: ignore[arg-type]

    @rule(key=ids)
    def decide_move(self, key: UUID) -> None:
        current = self.sessions[key]
        to = current.reschedule_to
        if to is None:
            return
        moved = replace(current, scheduled_at=to)
        if self._free(current, moved.interval):
            self._store(*move(current, buffers=(0, 0), at=self.now, request_id=None, actor=SYSTEM))
        else:
            self._store(
                *keep_time(
                    current, RejectionReason.SLOT_TAKEN, at=self.now, request_id=None, actor=SYSTEM
                )
            )

    @rule(key=ids)
    def cancel(self, key: UUID) -> None:
        current = self.sessions[key]
        if cancellation_problem(current, now=self.now) is None:
            changed, event = current.transition(
                AppointmentStatus.CANCELLED, at=self.now, actor=PATIENT
            )
            self._store(settled(changed), event)

    @rule(
        key=ids, outcome=st.sampled_from([AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW])
    )
    def mark(self, key: UUID, outcome: AppointmentStatus) -> None:
        current = self.sessions[key]
        if outcome_problem(current, now=self.now) is None:
            self._store(*current.transition(outcome, at=self.now, actor=STAFF, note="noted"))

    @rule(key=ids, amount=st.integers(min_value=1, max_value=200))
    def pay(self, key: UUID, amount: int) -> None:
        current = self.sessions[key]
        if current.amount_due > 0:
            self._store(
                *with_payment(
                    current,
                    Decimal(amount),
                    refund=False,
                    at=self.now,
                    request_id=None,
                    actor=STAFF,
                    reference=f"r-{amount}",
                )
            )

    @precondition(lambda self: len(self.sessions) > 30)
    @rule(key=consumes(ids))
    def forget(self, key: UUID) -> object:
        # Keeps the bundle small enough for the rules to meet the same sessions often.
        return multiple()

    # --- the invariants ---------------------------------------------------------------

    @invariant()
    def no_two_held_sessions_overlap(self) -> None:
        held = sorted(
            (a for a in self.sessions.values() if a.holds_slot), key=lambda a: a.scheduled_at
        )
        for earlier, later in itertools.pairwise(held):
            assert not earlier.blocked.overlaps(later.blocked), (earlier, later)

    @invariant()
    def every_history_is_complete_ordered_and_allowed(self) -> None:
        for key, events in self.histories.items():
            current = self.sessions[key]
            assert [e.version for e in events] == list(range(1, current.version + 1))
            assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(events))
            assert events[-1].status is current.status
            assert events[0].previous_status is None
            for before, after in itertools.pairwise(events):
                assert after.previous_status is before.status
                if after.kind is EventKind.STATUS_CHANGED:
                    assert after.status in ALLOWED_TRANSITIONS[before.status]
                else:
                    assert after.status is before.status
                assert after.actor is not None

    @invariant()
    def a_session_holds_time_only_while_pending_or_confirmed(self) -> None:
        for appointment in self.sessions.values():
            if appointment.awaiting_confirmation_until is not None:
                assert appointment.status is AppointmentStatus.PENDING
            if appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
                assert appointment.reschedule_to is None
                assert not appointment.holds_slot


SessionLives.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
test_session_lives = SessionLives.TestCase
