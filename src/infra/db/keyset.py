"""Keyset pagination: a page is a bounded range of an index, at any depth.

The position is compared as a row value, ``(order_value, id) > (:v, :id)``,
which PostgreSQL uses as an index bound (an OR-expanded comparison is not).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.engine import RowMapping

from domain.listing import Key, PageRequest


def paginate(
    query: Select[Any],
    columns: tuple[ColumnElement[Any], ColumnElement[Any]],
    *,
    descending: bool,
    page: PageRequest,
) -> Select[Any]:
    """Bound ``query`` to the page and order it in the direction rows are read."""
    position = tuple_(*columns)
    if page.after is not None:
        query = query.where(_beyond(position, page.after, ahead=not descending))
    if page.before is not None:
        query = query.where(_beyond(position, page.before, ahead=descending))
    reading_descending = descending != page.backwards
    order = [c.desc() if reading_descending else c.asc() for c in columns]
    return query.order_by(*order).limit(page.size + 1)


def _beyond(position: ColumnElement[Any], key: Key, *, ahead: bool) -> ColumnElement[bool]:
    bound = tuple_(*key)
    return position > bound if ahead else position < bound


def trim(rows: Sequence[RowMapping], page: PageRequest) -> tuple[list[RowMapping], bool, bool]:
    """The page's rows in display order, with has_next and has_previous."""
    more = len(rows) > page.size
    kept = list(rows[: page.size])
    if page.backwards:
        kept.reverse()
        return kept, page.before is not None, more
    return kept, more, page.after is not None
