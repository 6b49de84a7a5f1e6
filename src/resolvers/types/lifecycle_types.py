"""The types of a session's life: who made a change, the session policy, payments, series."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self

import strawberry

import resolvers.types.enums  # noqa: F401 - registers the enums with strawberry
from domain import appointments, lifecycle, payments
from domain.appointments import ActorRole
from domain.payments import PaymentKind, PaymentMethod


@strawberry.type(name="Actor", description="Who made a change: SYSTEM is the worker.")
class ActorType:
    role: ActorRole
    subject: str

    @classmethod
    def from_domain(cls, actor: appointments.Actor | None) -> Self | None:
        return None if actor is None else cls(role=actor.role, subject=actor.subject)


@strawberry.type(
    name="SessionPolicy",
    description="How a psychologist takes each request once booked, and late cancellations.",
)
class SessionPolicyType:
    requires_confirmation: bool = strawberry.field(
        description="The psychologist confirms or declines each request the worker holds."
    )
    confirmation_timeout_minutes: int = strawberry.field(
        description="How long a held request waits for the answer before it expires."
    )
    cancellation_window_minutes: int = strawberry.field(
        description="A patient's cancellation closer than this to the start is late; 0: never."
    )
    late_cancellation_fee: Decimal | None = strawberry.field(
        description="What a late cancellation costs; null: the session's own fee."
    )

    @classmethod
    def from_domain(cls, policy: lifecycle.SessionPolicy) -> Self:
        minute = timedelta(minutes=1)
        return cls(
            requires_confirmation=policy.requires_confirmation,
            confirmation_timeout_minutes=policy.confirmation_timeout // minute,
            cancellation_window_minutes=policy.cancellation_window // minute,
            late_cancellation_fee=policy.late_cancellation_fee,
        )


@strawberry.type(name="Payment", description="A payment or a refund staff recorded.")
class PaymentType:
    id: strawberry.ID
    kind: PaymentKind
    amount: Decimal
    method: PaymentMethod
    reference: str
    recorded_at: datetime
    recorded_by: ActorType
    request_id: strawberry.ID | None

    @classmethod
    def from_domain(cls, payment: payments.Payment) -> Self:
        return cls(
            id=strawberry.ID(str(payment.id)),
            kind=payment.kind,
            amount=payment.amount,
            method=payment.method,
            reference=payment.reference,
            recorded_at=payment.recorded_at,
            recorded_by=ActorType(role=payment.actor.role, subject=payment.actor.subject),
            request_id=strawberry.ID(payment.request_id) if payment.request_id else None,
        )
