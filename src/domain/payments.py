"""Money taken for a session, or given back: what staff record."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.appointments import Actor

MAX_AMOUNT = Decimal("100000.00")
MAX_REFERENCE_LENGTH = 200


class PaymentKind(StrEnum):
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


class PaymentMethod(StrEnum):
    CASH = "CASH"
    CARD = "CARD"
    BANK_TRANSFER = "BANK_TRANSFER"
    INSURANCE = "INSURANCE"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class Payment:
    id: UUID
    appointment_id: UUID
    kind: PaymentKind
    amount: Decimal
    method: PaymentMethod
    reference: str
    actor: Actor
    recorded_at: datetime
    request_id: str | None = None


def amount_problem(amount: Decimal) -> str | None:
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        return f"An amount is more than 0 and at most {MAX_AMOUNT}."
    if amount != amount.quantize(Decimal("0.01")):
        return "An amount has at most two decimals."
    return None
