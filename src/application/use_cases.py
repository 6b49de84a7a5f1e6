"""Every use case of the application, as the composition root builds them once: the
resolvers and the worker call these same objects."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.calendar_edits import (
    AddExtraHoursHandler,
    RemoveExtraHoursHandler,
    RemoveTimeOffHandler,
    SetBookingSettingsHandler,
    SetWeeklyHoursHandler,
)
from application.cancelling import CancelAppointmentHandler
from application.dead_letters import ArchiveDeadLetterHandler
from application.deciding import DecideAppointmentHandler, RejectFailedRequestHandler
from application.patient_profiles import CreatePatientHandler, UpdateMyProfileHandler
from application.psychologist_profiles import (
    CreatePsychologistHandler,
    DeactivatePsychologistHandler,
    UpdatePsychologistHandler,
)
from application.requesting import RequestAppointmentsHandler
from application.time_off import AddTimeOffHandler
from application.unit_of_work import Transactions
from domain.policy import BookingPolicy


@dataclass(frozen=True)
class UseCases:
    request_appointments: RequestAppointmentsHandler
    cancel_appointment: CancelAppointmentHandler
    decide: DecideAppointmentHandler
    reject_failed: RejectFailedRequestHandler
    archive_dead_letter: ArchiveDeadLetterHandler
    create_psychologist: CreatePsychologistHandler
    update_psychologist: UpdatePsychologistHandler
    deactivate_psychologist: DeactivatePsychologistHandler
    set_weekly_hours: SetWeeklyHoursHandler
    add_extra_hours: AddExtraHoursHandler
    remove_extra_hours: RemoveExtraHoursHandler
    add_time_off: AddTimeOffHandler
    remove_time_off: RemoveTimeOffHandler
    set_booking_settings: SetBookingSettingsHandler
    update_my_profile: UpdateMyProfileHandler
    create_patient: CreatePatientHandler


def use_cases(
    transactions: Transactions,
    *,
    clock: Callable[[], datetime],
    policy: BookingPolicy,
    new_id: Callable[[], UUID],
) -> UseCases:
    """Every use case on one way of running transactions."""
    t, c, p, n = transactions, clock, policy, new_id
    return UseCases(
        request_appointments=RequestAppointmentsHandler(
            transactions=t, clock=c, policy=p, new_id=n
        ),
        cancel_appointment=CancelAppointmentHandler(transactions=t, clock=c),
        decide=DecideAppointmentHandler(transactions=t, clock=c, policy=p),
        reject_failed=RejectFailedRequestHandler(transactions=t, clock=c),
        archive_dead_letter=ArchiveDeadLetterHandler(transactions=t, clock=c),
        create_psychologist=CreatePsychologistHandler(transactions=t, clock=c, policy=p, new_id=n),
        update_psychologist=UpdatePsychologistHandler(transactions=t, clock=c, policy=p, new_id=n),
        deactivate_psychologist=DeactivatePsychologistHandler(
            transactions=t, clock=c, policy=p, new_id=n
        ),
        set_weekly_hours=SetWeeklyHoursHandler(transactions=t, clock=c, policy=p, new_id=n),
        add_extra_hours=AddExtraHoursHandler(transactions=t, clock=c, policy=p, new_id=n),
        remove_extra_hours=RemoveExtraHoursHandler(transactions=t, clock=c, policy=p, new_id=n),
        add_time_off=AddTimeOffHandler(transactions=t, clock=c, policy=p, new_id=n),
        remove_time_off=RemoveTimeOffHandler(transactions=t, clock=c, policy=p, new_id=n),
        set_booking_settings=SetBookingSettingsHandler(transactions=t, clock=c, policy=p, new_id=n),
        update_my_profile=UpdateMyProfileHandler(transactions=t, clock=c, policy=p, new_id=n),
        create_patient=CreatePatientHandler(transactions=t, clock=c, policy=p, new_id=n),
    )
