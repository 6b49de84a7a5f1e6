"""A psychologist's session policy: whether they confirm each request themselves, how long
a request waits for them, and what a late cancellation costs. Theirs or an admin's to set."""

from datetime import datetime, timedelta
from typing import Any

from application.calendar_edits import CalendarUseCase
from application.lifecycle_commands import SetSessionPolicy
from application.outcomes import Answer, problems_of
from application.practice_base import audit
from application.unit_of_work import UnitOfWork
from domain.calendar import Calendar
from domain.lifecycle import SessionPolicy, check_session_policy


class SetSessionPolicyHandler(CalendarUseCase):
    async def __call__(self, command: SetSessionPolicy) -> Answer[SessionPolicy]:
        problems = problems_of(
            check_session_policy(
                confirmation_timeout_minutes=command.confirmation_timeout_minutes,
                cancellation_window_minutes=command.cancellation_window_minutes,
                late_cancellation_fee=command.late_cancellation_fee,
            )
        )
        if problems:
            return Answer.refused(*problems)
        policy = SessionPolicy(
            requires_confirmation=command.requires_confirmation,
            confirmation_timeout=timedelta(minutes=command.confirmation_timeout_minutes),
            cancellation_window=timedelta(minutes=command.cancellation_window_minutes),
            late_cancellation_fee=command.late_cancellation_fee,
        )

        async def change(
            unit: UnitOfWork, calendar: Calendar, now: datetime
        ) -> Answer[SessionPolicy]:
            await unit.calendars.set_session_policy(command.psychologist_id, policy, at=now)
            await audit(
                unit,
                viewer=command.viewer,
                request_id=command.request_id,
                psychologist_id=command.psychologist_id,
                action="session_policy.set",
                at=now,
                details={
                    "from": policy_document(calendar.session_policy),
                    "to": policy_document(policy),
                },
            )
            return Answer(policy)

        return await self._on_calendar(command.viewer, command.psychologist_id, change)


def policy_document(policy: SessionPolicy) -> dict[str, Any]:
    minute = timedelta(minutes=1)
    fee = policy.late_cancellation_fee
    return {
        "requiresConfirmation": policy.requires_confirmation,
        "confirmationTimeoutMinutes": policy.confirmation_timeout // minute,
        "cancellationWindowMinutes": policy.cancellation_window // minute,
        "lateCancellationFee": None if fee is None else str(fee),
    }
