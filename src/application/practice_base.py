"""What the practice's use cases share: one unit of work that commits only when nothing was
refused, and the audit entry each change leaves."""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from application.outcomes import Problem
from application.practice_ports import AuditEntry
from application.unit_of_work import Transactions, UnitOfWork
from domain.policy import BookingPolicy
from domain.viewer import Viewer


class Refusable(Protocol):
    @property
    def problems(self) -> tuple[Problem, ...]: ...


R = TypeVar("R", bound=Refusable)


class PracticeUseCase:
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

    async def _run(self, work: Callable[[UnitOfWork, datetime], Awaitable[R]]) -> R:
        """``work`` in one unit of work, committed unless it answered with problems (then
        whatever it did is rolled back)."""
        now = self._clock()
        async with self._transactions() as unit:
            answer = await work(unit, now)
            if not answer.problems:
                await unit.commit()
        return answer


async def audit(
    unit: UnitOfWork,
    *,
    viewer: Viewer,
    request_id: str,
    psychologist_id: UUID,
    action: str,
    at: datetime,
    details: Mapping[str, Any],
) -> None:
    await unit.audit.record(
        AuditEntry(
            psychologist_id=psychologist_id,
            action=action,
            actor_role=viewer.role,
            actor_subject=viewer.subject,
            request_id=request_id,
            occurred_at=at,
            details=details,
        )
    )
