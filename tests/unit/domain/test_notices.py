from dataclasses import replace

import pytest

from builders import a_patient, a_psychologist, an_appointment, first_event
from domain.appointments import AppointmentStatus as S
from domain.appointments import EventKind as K
from domain.notices import (
    Notice,
    Preferences,
    Recipient,
    event_type,
    notice_for,
    reason_in_words,
    recipients,
)


def event(previous, status):
    base = first_event(an_appointment(a_psychologist(), a_patient()))
    return replace(base, version=2, previous_status=previous, status=status)


@pytest.mark.parametrize(
    ("previous", "status", "kind", "notice"),
    [
        (None, S.PENDING, "appointment.requested", None),
        (S.PENDING, S.CONFIRMED, "appointment.confirmed", Notice.CONFIRMED),
        (S.PENDING, S.REJECTED, "appointment.rejected", Notice.REJECTED),
        (S.CONFIRMED, S.CANCELLED, "appointment.cancelled", Notice.CANCELLED),
        (S.PENDING, S.CANCELLED, "appointment.cancelled", Notice.CANCELLED),
        (S.CONFIRMED, S.CONFIRMED, "appointment.updated", None),
        (S.CONFIRMED, S.COMPLETED, "appointment.completed", None),
        (S.CONFIRMED, S.NO_SHOW, "appointment.no_show", None),
        (S.PENDING, S.PENDING, "appointment.updated", None),
    ],
)
def test_every_event_has_a_type_and_some_are_worth_an_email(previous, status, kind, notice):
    happened = event(None, status) if previous is None else event(previous, status)
    assert event_type(happened) == kind
    assert notice_for(happened) is notice


@pytest.mark.parametrize(
    ("kind", "event_kind", "notice"),
    [
        (K.RESCHEDULED, "appointment.rescheduled", Notice.RESCHEDULED),
        (K.RESCHEDULE_REQUESTED, "appointment.reschedule_requested", None),
        (K.RESCHEDULE_REJECTED, "appointment.reschedule_rejected", None),
        (K.AWAITING_CONFIRMATION, "appointment.awaiting_confirmation", None),
        (K.PAYMENT_RECORDED, "appointment.payment_recorded", None),
        (K.REFUND_RECORDED, "appointment.refund_recorded", None),
    ],
)
def test_a_change_within_a_status_is_named_by_its_kind_and_only_a_move_is_emailed(
    kind, event_kind, notice
):
    happened = replace(event(S.CONFIRMED, S.CONFIRMED), kind=kind)
    assert event_type(happened) == event_kind
    assert notice_for(happened) is notice


def test_both_people_are_told_until_they_choose_otherwise():
    assert recipients(Notice.CONFIRMED, {}) == [Recipient.PATIENT, Recipient.PSYCHOLOGIST]


def test_a_patient_who_turned_email_off_gets_none():
    off = {Recipient.PATIENT: Preferences(email_enabled=False)}
    assert recipients(Notice.CANCELLED, off) == [Recipient.PSYCHOLOGIST]


def test_a_psychologist_gets_only_the_notices_they_chose():
    chosen = {Recipient.PSYCHOLOGIST: Preferences(notices=frozenset({Notice.CANCELLED}))}
    assert recipients(Notice.CANCELLED, chosen) == [Recipient.PATIENT, Recipient.PSYCHOLOGIST]
    assert recipients(Notice.REMINDER, chosen) == [Recipient.PATIENT]


def test_a_patients_notice_list_does_not_silence_them():
    only = {Recipient.PATIENT: Preferences(notices=frozenset())}
    assert Recipient.PATIENT in recipients(Notice.REMINDER, only)


def test_rejection_reasons_read_as_plain_words():
    assert reason_in_words("SLOT_TAKEN") == "the time was taken by another session in the meantime"
    assert reason_in_words("SOMETHING_NEW") == "something new"
    assert reason_in_words(None) == "no reason was given"
