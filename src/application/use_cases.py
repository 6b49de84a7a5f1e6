"""Every use case of the application, as the composition root builds them once: the
resolvers and the worker call these same objects."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from application.answering import AnswerRequestHandler, ExpireConfirmationHandler
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
from application.finishing import MarkOutcomeHandler
from application.meeting_links import MeetingLinks
from application.patient_profiles import CreatePatientHandler, UpdateMyProfileHandler
from application.paying import RecordPaymentHandler
from application.psychologist_profiles import (
    CreatePsychologistHandler,
    DeactivatePsychologistHandler,
    UpdatePsychologistHandler,
)
from application.queued_work import QueuedWorkHandler
from application.requesting import RequestAppointmentsHandler
from application.rescheduling import DecideRescheduleHandler, RescheduleAppointmentHandler
from application.series import CancelSeriesHandler, RequestSeriesHandler
from application.session_base import SessionUseCase
from application.session_policy import SetSessionPolicyHandler
from application.time_off import AddTimeOffHandler
from application.unit_of_work import Transactions
from domain.policy import BookingPolicy

S = TypeVar("S", bound=SessionUseCase)


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
    mark_outcome: MarkOutcomeHandler
    answer_request: AnswerRequestHandler
    expire_confirmation: ExpireConfirmationHandler
    reschedule: RescheduleAppointmentHandler
    decide_reschedule: DecideRescheduleHandler
    queued_work: QueuedWorkHandler
    set_session_policy: SetSessionPolicyHandler
    request_series: RequestSeriesHandler
    cancel_series: CancelSeriesHandler
    record_payment: RecordPaymentHandler


def use_cases(
    transactions: Transactions,
    *,
    clock: Callable[[], datetime],
    policy: BookingPolicy,
    new_id: Callable[[], UUID],
    meetings: MeetingLinks,
) -> UseCases:
    """Every use case on one way of running transactions."""
    t, c, p, n = transactions, clock, policy, new_id

    def session(handler: type[S]) -> S:
        return handler(transactions=t, clock=c, policy=p, new_id=n, meetings=meetings)

    decide = DecideAppointmentHandler(transactions=t, clock=c, policy=p, meetings=meetings)
    expire = ExpireConfirmationHandler(transactions=t, clock=c)
    decide_reschedule = DecideRescheduleHandler(transactions=t, clock=c, policy=p)
    return UseCases(
        request_appointments=RequestAppointmentsHandler(
            transactions=t, clock=c, policy=p, new_id=n
        ),
        cancel_appointment=CancelAppointmentHandler(transactions=t, clock=c),
        decide=decide,
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
        mark_outcome=session(MarkOutcomeHandler),
        answer_request=session(AnswerRequestHandler),
        expire_confirmation=expire,
        reschedule=session(RescheduleAppointmentHandler),
        decide_reschedule=decide_reschedule,
        queued_work=QueuedWorkHandler(decide, expire, decide_reschedule),
        set_session_policy=SetSessionPolicyHandler(transactions=t, clock=c, policy=p, new_id=n),
        request_series=session(RequestSeriesHandler),
        cancel_series=session(CancelSeriesHandler),
        record_payment=session(RecordPaymentHandler),
    )
