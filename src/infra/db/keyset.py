"""Keyset pagination: a page is a bounded range of an index, at any depth.

The position is compared as a row value, ``(order_value, id) > (:v, :id)``,
which PostgreSQL uses as an index bound (an OR-expanded comparison is not).
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, tuple_

from domain.listing import Key, PageRequest


def paginate(
    query: Select[Any],
    columns: tuple[ColumnElement[Any], ColumnElement[Any]],
    *,
    descending: bool,
    page: PageRequest,
) -> Select[Any]:
    """Bound ``query`` to the page and order it in the direction rows are read."""
    bounded = query.where(*page_bounds(columns, descending=descending, page=page))
    order = reading_order(columns, descending=descending, page=page)
    return bounded.order_by(*order).limit(page_limit(page))


def page_limit(page: PageRequest) -> ColumnElement[int]:
    """The rows read for ``page``: one more than it shows, to know whether more follow.

    Written into the statement, not sent as a parameter: PostgreSQL plans a prepared
    statement once for every value after a few runs, and a plan for an unknown LIMIT
    read a first page with two parallel workers, four times slower than with LIMIT 21."""
    return bindparam("page_limit", page.size + 1, literal_execute=True)


def page_values(page: PageRequest) -> dict[str, object]:
    """The values ``page_bounds`` and ``page_limit`` bind, by parameter name."""
    values: dict[str, object] = {}
    for end, key in (("after", page.after), ("before", page.before)):
        if key is not None:
            values[f"{end}_0"], values[f"{end}_1"] = key
    values["page_limit"] = page.size + 1
    return values


def page_bounds(
    columns: tuple[ColumnElement[Any], ColumnElement[Any]], *, descending: bool, page: PageRequest
) -> list[ColumnElement[bool]]:
    """The row-value conditions that start (and end) the page."""
    position = tuple_(*columns)
    bounds: list[ColumnElement[bool]] = []
    if page.after is not None:
        bounds.append(_beyond(columns, position, page.after, "after", ahead=not descending))
    if page.before is not None:
        bounds.append(_beyond(columns, position, page.before, "before", ahead=descending))
    return bounds


def reading_order(
    columns: tuple[ColumnElement[Any], ColumnElement[Any]], *, descending: bool, page: PageRequest
) -> list[ColumnElement[Any]]:
    """The order rows are read in: the page's own, reversed when paging backwards."""
    reading_descending = descending != page.backwards
    return [c.desc() if reading_descending else c.asc() for c in columns]


def _beyond(
    columns: tuple[ColumnElement[Any], ColumnElement[Any]],
    position: ColumnElement[Any],
    key: Key,
    end: str,
    *,
    ahead: bool,
) -> ColumnElement[bool]:
    # Named, so that a prepared statement can bind them again (see page_values).
    bound = tuple_(
        *(
            bindparam(f"{end}_{i}", value, type_=column.type)
            for i, (column, value) in enumerate(zip(columns, key, strict=True))
        )
    )
    return position > bound if ahead else position < bound


R = TypeVar("R")


def trim(rows: Sequence[R], page: PageRequest) -> tuple[list[R], bool, bool]:
    """The page's rows in display order, with has_next and has_previous."""
    more = len(rows) > page.size
    kept = list(rows[: page.size])
    if page.backwards:
        kept.reverse()
        return kept, page.before is not None, more
    return kept, more, page.after is not None
