"""What the worker takes from the queue, and the use case each one goes to."""

from application.answering import ExpireConfirmationHandler
from application.changes import StatusChange
from application.commands import DecideAppointment
from application.deciding import DecideAppointmentHandler
from application.lifecycle_commands import DecideReschedule, ExpireConfirmation
from application.rescheduling import DecideRescheduleHandler

WorkerCommand = DecideAppointment | ExpireConfirmation | DecideReschedule


class QueuedWorkHandler:
    """One message's work: a request's decision, a new time's, or an expiry; None when there
    was nothing (left) to do, so the message is simply acknowledged."""

    def __init__(
        self,
        decide: DecideAppointmentHandler,
        expire: ExpireConfirmationHandler,
        reschedule: DecideRescheduleHandler,
    ) -> None:
        self._decide = decide
        self._expire = expire
        self._reschedule = reschedule

    async def __call__(self, command: WorkerCommand) -> StatusChange | None:
        if isinstance(command, ExpireConfirmation):
            return await self._expire(command)
        if isinstance(command, DecideReschedule):
            return await self._reschedule(command)
        return await self._decide(command)
