"""Archiving a dead letter for operators, and rejecting its request, in one transaction."""

from collections.abc import Callable
from datetime import datetime

from application.changes import StatusChange
from application.commands import ArchiveDeadLetter
from application.deciding import reject_if_pending
from application.unit_of_work import Transactions
from domain.appointments import RejectionReason


class ArchiveDeadLetterHandler:
    """Keeps the letter (once per message id) and rejects its appointment with
    PROCESSING_FAILED when it is still PENDING; answers that rejection, if any."""

    def __init__(self, *, transactions: Transactions, clock: Callable[[], datetime]) -> None:
        self._transactions = transactions
        self._clock = clock

    async def __call__(self, letter: ArchiveDeadLetter) -> StatusChange | None:
        now = self._clock()
        async with self._transactions() as unit:
            await unit.dead_letters.keep(letter, at=now)
            change = None
            if letter.appointment_id is not None:
                change = await reject_if_pending(
                    unit,
                    letter.appointment_id,
                    RejectionReason.PROCESSING_FAILED,
                    now,
                    letter.request_id,
                    new_time=letter.new_time,
                )
            await unit.commit()
        return change
