"""Payments and refunds staff record against a session; ``isPaid`` follows what is due."""

from dataclasses import dataclass
from datetime import datetime

from application.lifecycle_commands import RecordPayment
from application.outcomes import Problem
from application.session_base import (
    NOT_FOUND,
    STAFF_ONLY,
    SessionUseCase,
    actor_of,
    in_state,
    is_staff,
)
from application.unit_of_work import UnitOfWork
from domain.appointments import Appointment
from domain.lifecycle import with_payment
from domain.payments import MAX_REFERENCE_LENGTH, Payment, PaymentKind, amount_problem

REFERENCE_REUSED = Problem(
    "IDEMPOTENCY_KEY_REUSED",
    ("reference",),
    "This reference was already recorded with another amount or method.",
)
BAD_REFERENCE = Problem(
    "INVALID_INPUT",
    ("reference",),
    f"A reference (a receipt or transaction id) has 1 to {MAX_REFERENCE_LENGTH} characters.",
)
NOTHING_DUE = in_state("Nothing is owed for this appointment.")
MORE_THAN_PAID = Problem("INVALID_INPUT", ("amount",), "A refund cannot exceed what was paid.")


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment: Payment | None
    appointment: Appointment | None
    problems: tuple[Problem, ...] = ()


class RecordPaymentHandler(SessionUseCase):
    async def __call__(self, command: RecordPayment) -> PaymentOutcome:
        if not is_staff(command.viewer):
            return PaymentOutcome(None, None, (STAFF_ONLY,))
        problems = []
        amount_wrong = amount_problem(command.amount)
        if amount_wrong is not None:
            problems.append(Problem("INVALID_INPUT", ("amount",), amount_wrong))
        if not 1 <= len(command.reference.strip()) <= MAX_REFERENCE_LENGTH:
            problems.append(BAD_REFERENCE)
        if problems:
            return PaymentOutcome(None, None, tuple(problems))
        now = self._clock()
        async with self._transactions() as unit:
            outcome = await self._record(unit, command, now)
            if not outcome.problems:
                await unit.commit()
        return outcome

    async def _record(
        self, unit: UnitOfWork, command: RecordPayment, now: datetime
    ) -> PaymentOutcome:
        current = await unit.appointments.get(command.appointment_id, visible_to=command.viewer)
        if current is None:
            return PaymentOutcome(None, None, (NOT_FOUND,))
        earlier = await unit.payments.find(current.id, command.kind, command.reference.strip())
        if earlier is not None:
            if (earlier.amount, earlier.method) != (command.amount, command.method):
                return PaymentOutcome(None, None, (REFERENCE_REUSED,))
            return PaymentOutcome(earlier, current)
        refund = command.kind is PaymentKind.REFUND
        if refund and command.amount > current.amount_paid:
            return PaymentOutcome(None, None, (MORE_THAN_PAID,))
        if not refund and current.amount_due <= 0:
            return PaymentOutcome(None, None, (NOTHING_DUE,))
        actor = actor_of(command.viewer)
        payment = Payment(
            id=self._new_id(),
            appointment_id=current.id,
            kind=command.kind,
            amount=command.amount,
            method=command.method,
            reference=command.reference.strip(),
            actor=actor,
            recorded_at=now,
            request_id=command.request_id,
        )
        changed, event = with_payment(
            current,
            command.amount,
            refund=refund,
            at=now,
            request_id=command.request_id,
            actor=actor,
            reference=payment.reference,
        )
        change = await unit.appointments.record(changed, event)
        await unit.payments.add(payment)
        return PaymentOutcome(payment, change.appointment)
