"""Read queries for psychologists and patients."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.listing import Page, PageRequest, PsychologistFilter
from domain.people import Patient, Psychologist
from domain.viewer import Viewer
from infra.db.connection_budget import connect
from infra.db.keyset import paginate, trim
from infra.db.rows import patient_from_row, psychologist_from_row
from infra.db.scoping import visible_patients
from infra.db.tables import patients, psychologists


def _lists_any(column: Any, wanted: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Whether the JSON list in ``column`` holds any of ``wanted`` (lower case), in any case."""
    if dialect == "postgresql":
        listed = func.jsonb_array_elements_text(type_coerce(column, JSONB)).table_valued("value")
    else:
        listed = func.json_each(column).table_valued("value")
    return exists(select(listed.c.value).where(func.lower(listed.c.value).in_(list(wanted))))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlPeopleReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def _psychologist_conditions(self, wanted: PsychologistFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        dialect = self._engine.dialect.name
        if wanted.any_specialty:
            conditions.append(
                _lists_any(psychologists.c.specialties, wanted.any_specialty, dialect)
            )
        if wanted.language:
            languages = [wanted.language.casefold()]
            conditions.append(_lists_any(psychologists.c.languages, languages, dialect))
        if wanted.active is not None:
            conditions.append(psychologists.c.active.is_(wanted.active))
        if wanted.name_contains:
            pattern = f"%{_escape_like(wanted.name_contains.lower())}%"
            conditions.append(func.lower(psychologists.c.name).like(pattern, escape="\\"))
        return conditions

    async def psychologists_page(
        self, wanted: PsychologistFilter, page: PageRequest, *, with_total: bool
    ) -> Page[Psychologist]:
        where = and_(true(), *self._psychologist_conditions(wanted))
        query = paginate(
            select(psychologists).where(where),
            (psychologists.c.name, psychologists.c.id),
            descending=False,
            page=page,
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
            total = None
            if with_total:
                count = select(func.count()).select_from(psychologists).where(where)
                total = (await connection.execute(count)).scalar_one()
        kept, has_next, has_previous = trim(rows, page)
        return Page([psychologist_from_row(r) for r in kept], has_next, has_previous, total)

    async def psychologists_matching(
        self, wanted: PsychologistFilter, *, limit: int
    ) -> list[Psychologist]:
        """Up to ``limit`` of them, by name: the candidates of a search by free time."""
        query = (
            select(psychologists)
            .where(and_(true(), *self._psychologist_conditions(wanted)))
            .order_by(psychologists.c.name, psychologists.c.id)
            .limit(limit)
        )
        return list((await self._psychologists(query)).values())

    async def psychologists_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Psychologist]:
        return await self._psychologists(select(psychologists).where(psychologists.c.id.in_(ids)))

    async def psychologist_rows(
        self, ids: Sequence[UUID], columns: Sequence[str]
    ) -> dict[UUID, Sequence[object]]:
        """The psychologists among ``ids`` as plain rows of ``columns`` (which hold ``id``)."""
        query = select(*[psychologists.c[name] for name in columns]).where(
            psychologists.c.id.in_(list(ids))
        )
        at = list(columns).index("id")
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).all()
        return {row[at]: row for row in rows}

    async def psychologist_by_subject(self, subject: str) -> Psychologist | None:
        found = await self._psychologists(
            select(psychologists).where(psychologists.c.subject == subject)
        )
        return next(iter(found.values()), None)

    async def patients_by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Patient]:
        query = select(patients).where(patients.c.id.in_(ids), visible_patients(viewer))
        return await self._patients(query)

    async def patient_by_subject(self, subject: str) -> Patient | None:
        found = await self._patients(select(patients).where(patients.c.subject == subject))
        return next(iter(found.values()), None)

    async def _psychologists(self, query: Select[Any]) -> dict[UUID, Psychologist]:
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return {row["id"]: psychologist_from_row(row) for row in rows}

    async def _patients(self, query: Select[Any]) -> dict[UUID, Patient]:
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return {row["id"]: patient_from_row(row) for row in rows}
