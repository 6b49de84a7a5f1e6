"""A small world for the practice's use cases: one psychologist, their viewer, an admin,
and the use cases on the fake database."""

from dataclasses import dataclass
from datetime import time
from uuid import uuid4

from application_fakes import FakeDatabase

from application.unit_of_work import Transactions
from application.use_cases import UseCases, use_cases
from builders import NOW, a_psychologist
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.schedule import Weekday, WorkingHours
from domain.viewer import Role, Viewer
from infra.meetings.room_links import RoomLinks

ADMIN = Viewer("admin-1", Role.ADMIN)
NINE_TO_FIVE = tuple(WorkingHours(day, time(9), time(17)) for day in list(Weekday)[:5])


@dataclass
class Practice:
    database: FakeDatabase
    cases: UseCases
    psychologist: Psychologist

    @property
    def own(self) -> Viewer:
        assert self.psychologist.subject is not None
        return Viewer(self.psychologist.subject, Role.PSYCHOLOGIST)

    def another_psychologist(self) -> Psychologist:
        other = a_psychologist()
        self.database.tables.psychologists[other.id] = other
        return other


def practice(database: FakeDatabase, transactions: Transactions) -> Practice:
    psychologist = a_psychologist(time_zone="America/Sao_Paulo", working_hours=NINE_TO_FIVE)
    database.tables.psychologists[psychologist.id] = psychologist
    cases = use_cases(
        transactions,
        clock=lambda: NOW,
        policy=BookingPolicy(),
        new_id=uuid4,
        meetings=RoomLinks("https://meet.example", token=lambda: "room"),
    )
    return Practice(database, cases, psychologist)
