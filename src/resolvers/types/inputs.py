"""Input types of the read side, and their translation into domain queries."""

from datetime import datetime

import strawberry

import resolvers.types.enums  # noqa: F401 - registers the enums with strawberry
from domain import listing
from domain.appointments import AppointmentStatus, AppointmentType
from resolvers.errors import bad_user_input
from resolvers.node_ids import expect_global_id

# Longer than any name, specialty or language the directory holds.
MAX_FILTER_TEXT_LENGTH = 200
MAX_FILTER_SPECIALTIES = 50


@strawberry.input(name="AppointmentFilter")
class AppointmentFilterInput:
    patient_id: strawberry.ID | None = None
    psychologist_id: strawberry.ID | None = None
    status: list[AppointmentStatus] | None = None
    appointment_type: list[AppointmentType] | None = None
    scheduled_from: datetime | None = strawberry.field(
        default=None, description="Inclusive lower bound on scheduledAt."
    )
    scheduled_to: datetime | None = strawberry.field(
        default=None, description="Exclusive upper bound on scheduledAt."
    )
    is_paid: bool | None = strawberry.field(
        default=None, description="Only paid (true) or only unpaid (false) sessions."
    )

    def to_domain(self) -> listing.AppointmentFilter:
        return listing.AppointmentFilter(
            patient_id=(
                expect_global_id(self.patient_id, "Patient", argument="filter.patientId")
                if self.patient_id is not None
                else None
            ),
            psychologist_id=(
                expect_global_id(
                    self.psychologist_id, "Psychologist", argument="filter.psychologistId"
                )
                if self.psychologist_id is not None
                else None
            ),
            statuses=tuple(self.status or ()),
            appointment_types=tuple(self.appointment_type or ()),
            scheduled_from=self.scheduled_from,
            scheduled_to=self.scheduled_to,
            is_paid=self.is_paid,
        )


@strawberry.input(name="AppointmentOrder")
class AppointmentOrderInput:
    field: listing.AppointmentOrderField = listing.AppointmentOrderField.SCHEDULED_AT
    direction: listing.OrderDirection = listing.OrderDirection.ASC

    def to_domain(self) -> listing.AppointmentOrder:
        return listing.AppointmentOrder(
            listing.AppointmentOrderField(self.field), listing.OrderDirection(self.direction)
        )


@strawberry.input(
    name="AvailableBetween",
    description="Only psychologists with at least one free slot of this length in the window.",
)
class AvailableBetweenInput:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    duration_minutes: int | None = strawberry.field(
        default=None, description="Default: each psychologist's own default length."
    )


@strawberry.input(
    name="PsychologistFilter",
    description="Inactive psychologists are found by admins only.",
)
class PsychologistFilterInput:
    specialty: str | None = strawberry.field(default=None, description="Any case.")
    active: bool | None = None
    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    specialties: list[str] | None = strawberry.field(
        default=None, description="Any of these, in any case."
    )
    language: str | None = strawberry.field(default=None, description="Any case.")
    available_between: AvailableBetweenInput | None = None

    def to_domain(self) -> listing.PsychologistFilter:
        texts: dict[str, list[str | None]] = {
            "filter.specialty": [self.specialty],
            "filter.nameContains": [self.name_contains],
            "filter.specialties": list(self.specialties or ()),
            "filter.language": [self.language],
        }
        for argument, values in texts.items():
            if any(v is not None and len(v) > MAX_FILTER_TEXT_LENGTH for v in values):
                raise bad_user_input(
                    f"{argument} may have at most {MAX_FILTER_TEXT_LENGTH} characters.",
                    argument=argument,
                )
        if len(self.specialties or ()) > MAX_FILTER_SPECIALTIES:
            raise bad_user_input(
                f"filter.specialties may list at most {MAX_FILTER_SPECIALTIES}.",
                argument="filter.specialties",
            )
        return listing.PsychologistFilter(
            self.specialty,
            self.active,
            self.name_contains,
            specialties=tuple(self.specialties or ()),
            language=self.language,
        )


@strawberry.input(name="PsychologistOrder")
class PsychologistOrderInput:
    field: listing.PsychologistOrderField = strawberry.field(
        default=listing.PsychologistOrderField.NAME,
        description="NEXT_AVAILABLE: by the first free slot in filter.availableBetween, "
        "which it needs.",
    )
