"""Archiving a dead letter with fakes of the ports: kept once, its request rejected once."""

from application_fakes import FakeDatabase, Published

from application.commands import ArchiveDeadLetter
from application.dead_letters import ArchiveDeadLetterHandler
from application.unit_of_work import Transactions
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import RejectionReason


def letter(appointment_id: object, message_id: str = "m-1") -> ArchiveDeadLetter:
    return ArchiveDeadLetter(
        message_id=message_id,
        group="g",
        body="{}",
        attributes={},
        request_id="req-1",
        receive_count=5,
        appointment_id=appointment_id,  # type: ignore[arg-type]
        reason="retries exhausted",
    )


async def test_the_letter_is_kept_and_its_pending_request_rejected_processing_failed(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    appointment = an_appointment(a_psychologist(), a_patient())
    database.tables.appointments[appointment.id] = appointment
    archive = ArchiveDeadLetterHandler(transactions=transactions, clock=lambda: NOW)

    first = await archive(letter(appointment.id))
    again = await archive(letter(appointment.id))

    assert first is not None
    assert first.appointment.rejection_reason is RejectionReason.PROCESSING_FAILED
    assert again is None
    assert list(database.tables.dead_letters) == ["m-1"]
    assert published.changes == [first]


async def test_an_unreadable_letter_is_kept_and_changes_nothing_else(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    archive = ArchiveDeadLetterHandler(transactions=transactions, clock=lambda: NOW)

    assert await archive(letter(None)) is None

    assert database.tables.dead_letters["m-1"][1] == NOW
    assert database.tables.events == []
    assert published.changes == []
