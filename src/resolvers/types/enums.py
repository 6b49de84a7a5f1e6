"""The contract's enums, exposed straight from the domain's own enums."""

import strawberry

from domain import appointments, listing, payments, schedule, series, viewer

AppointmentStatus = strawberry.enum(appointments.AppointmentStatus, name="AppointmentStatus")
AppointmentType = strawberry.enum(appointments.AppointmentType, name="AppointmentType")
MeetingType = strawberry.enum(appointments.MeetingType, name="MeetingType")
RejectionReason = strawberry.enum(appointments.RejectionReason, name="RejectionReason")
Weekday = strawberry.enum(schedule.Weekday, name="Weekday")
Role = strawberry.enum(viewer.Role, name="Role")
AppointmentOrderField = strawberry.enum(listing.AppointmentOrderField, name="AppointmentOrderField")
OrderDirection = strawberry.enum(listing.OrderDirection, name="OrderDirection")
PsychologistOrderField = strawberry.enum(
    listing.PsychologistOrderField, name="PsychologistOrderField"
)
AppointmentEventKind = strawberry.enum(appointments.EventKind, name="AppointmentEventKind")
ActorRole = strawberry.enum(appointments.ActorRole, name="ActorRole")
SeriesFrequency = strawberry.enum(series.Frequency, name="SeriesFrequency")
PaymentKind = strawberry.enum(payments.PaymentKind, name="PaymentKind")
PaymentMethod = strawberry.enum(payments.PaymentMethod, name="PaymentMethod")
