"""Psychologists' calendars and profiles, and the audit of their changes, inside a unit of
work's transaction. Every write announces that the psychologist's free time changed."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from application.changes import Announcement, ScheduleChange
from application.practice_ports import AuditEntry
from domain.booking_settings import BookingSettings
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.lifecycle import SessionPolicy
from domain.people import Patient, Psychologist
from domain.schedule import Interval
from infra.db.appointment_repository import insert_ignoring_conflicts
from infra.db.calendar_rows import extra_from_row, load_calendars, time_off_from_row
from infra.db.rows import (
    patient_from_row,
    psychologist_from_row,
    psychologist_to_row,
    session_policy_to_row,
    settings_to_row,
    working_hours_to_json,
)
from infra.db.tables import (
    extra_hours,
    patients,
    psychologists,
    schedule_changes,
    time_off,
    weekly_hours,
)


class SqlCalendars:
    """The Calendars port."""

    def __init__(self, connection: AsyncConnection, announced: list[Announcement]) -> None:
        self._connection = connection
        self._announced = announced

    async def calendars(self, ids: list[UUID], around: Interval) -> dict[UUID, Calendar]:
        return await load_calendars(self._connection, ids, around)

    async def lock(self, psychologist_id: UUID, around: Interval) -> Calendar | None:
        # FOR NO KEY UPDATE, not FOR UPDATE: a booking inserting appointments holds KEY
        # SHARE locks on this row (its foreign key) and must not wait for, or deadlock
        # with, a decision.
        locked = select(psychologists).with_for_update(key_share=True)
        found = await load_calendars(self._connection, [psychologist_id], around, locked=locked)
        return found.get(psychologist_id)

    async def set_weekly_hours(
        self, psychologist_id: UUID, weekly: WeeklyHours, *, at: datetime
    ) -> None:
        await self._connection.execute(
            delete(weekly_hours).where(
                weekly_hours.c.psychologist_id == psychologist_id,
                weekly_hours.c.effective_from == weekly.effective_from,
            )
        )
        await self._connection.execute(
            insert(weekly_hours),
            [
                {
                    "psychologist_id": psychologist_id,
                    "effective_from": weekly.effective_from,
                    "hours": working_hours_to_json(weekly.hours),
                    "created_at": at,
                }
            ],
        )
        self._changed(psychologist_id)

    async def add_extra_hours(
        self, psychologist_id: UUID, extra: ExtraHours, *, at: datetime
    ) -> None:
        row = {
            "id": extra.id,
            "psychologist_id": psychologist_id,
            "day": extra.day,
            "start_time": extra.start,
            "end_time": extra.end,
            "created_at": at,
        }
        await self._connection.execute(insert(extra_hours), [row])
        self._changed(psychologist_id)

    async def remove_extra_hours(self, psychologist_id: UUID, extra_id: UUID) -> ExtraHours | None:
        removed = await self._connection.execute(
            delete(extra_hours)
            .where(extra_hours.c.id == extra_id, extra_hours.c.psychologist_id == psychologist_id)
            .returning(*extra_hours.c)
        )
        row = removed.mappings().first()
        if row is None:
            return None
        self._changed(psychologist_id)
        return extra_from_row(row)

    async def add_time_off(self, psychologist_id: UUID, off: TimeOff, *, at: datetime) -> None:
        row = {
            "id": off.id,
            "psychologist_id": psychologist_id,
            "starts_at": off.period.start,
            "ends_at": off.period.end,
            "all_day": off.all_day,
            "reason": off.reason,
            "created_at": at,
        }
        await self._connection.execute(insert(time_off), [row])
        self._changed(psychologist_id)

    async def remove_time_off(self, psychologist_id: UUID, off_id: UUID) -> TimeOff | None:
        removed = await self._connection.execute(
            delete(time_off)
            .where(time_off.c.id == off_id, time_off.c.psychologist_id == psychologist_id)
            .returning(*time_off.c)
        )
        row = removed.mappings().first()
        if row is None:
            return None
        self._changed(psychologist_id)
        return time_off_from_row(row)

    async def set_settings(
        self, psychologist_id: UUID, settings: BookingSettings, *, at: datetime
    ) -> None:
        await self._connection.execute(
            update(psychologists)
            .where(psychologists.c.id == psychologist_id)
            .values(**settings_to_row(settings), updated_at=at)
        )
        self._changed(psychologist_id)

    async def set_session_policy(
        self, psychologist_id: UUID, policy: SessionPolicy, *, at: datetime
    ) -> None:
        await self._connection.execute(
            update(psychologists)
            .where(psychologists.c.id == psychologist_id)
            .values(**session_policy_to_row(policy), updated_at=at)
        )

    def _changed(self, psychologist_id: UUID) -> None:
        self._announced.append(ScheduleChange(psychologist_id))


class SqlProfiles:
    """The Profiles port."""

    def __init__(self, connection: AsyncConnection, announced: list[Announcement]) -> None:
        self._connection = connection
        self._announced = announced

    async def psychologist(self, psychologist_id: UUID) -> Psychologist | None:
        query = select(psychologists).where(psychologists.c.id == psychologist_id)
        found = await self._connection.execute(query.with_for_update(key_share=True))
        row = found.mappings().first()
        return None if row is None else psychologist_from_row(row)

    async def add_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        if await self._taken(psychologist):
            return False
        dialect = self._connection.dialect.name
        added = await self._connection.execute(
            insert_ignoring_conflicts(psychologists, dialect).returning(psychologists.c.id),
            [psychologist_to_row(psychologist, at)],
        )
        return added.first() is not None

    async def update_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        if await self._taken(psychologist):
            return False
        values = psychologist_to_row(psychologist, at)
        for kept in ("id", "created_at"):
            del values[kept]
        await self._connection.execute(
            update(psychologists).where(psychologists.c.id == psychologist.id).values(**values)
        )
        self._announced.append(ScheduleChange(psychologist.id))
        return True

    async def _taken(self, psychologist: Psychologist) -> bool:
        """Whether another psychologist has this email (any case) or subject."""
        same = func.lower(psychologists.c.email) == psychologist.email.lower()
        if psychologist.subject is not None:
            same = same | (psychologists.c.subject == psychologist.subject)
        query = select(psychologists.c.id).where(same, psychologists.c.id != psychologist.id)
        return (await self._connection.execute(query.limit(1))).first() is not None

    async def patient(self, patient_id: UUID) -> Patient | None:
        query = select(patients).where(patients.c.id == patient_id).with_for_update()
        row = (await self._connection.execute(query)).mappings().first()
        return None if row is None else patient_from_row(row)

    async def update_patient(self, patient: Patient, *, at: datetime) -> None:
        await self._connection.execute(
            update(patients)
            .where(patients.c.id == patient.id)
            .values(
                name=patient.name,
                phone=patient.phone,
                time_zone=patient.time_zone,
                updated_at=at,
            )
        )


class SqlAudit:
    """The Audit port."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, entry: AuditEntry) -> None:
        row = {
            "psychologist_id": entry.psychologist_id,
            "action": entry.action,
            "actor_role": entry.actor_role.value,
            "actor_subject": entry.actor_subject,
            "request_id": entry.request_id,
            "occurred_at": entry.occurred_at,
            "details": dict(entry.details),
        }
        await self._connection.execute(insert(schedule_changes), [row])
