"""Reads compiled once per shape and run on asyncpg's prepared statements.

The first read of a shape (which filters, which columns, which viewer role, which end of
the page: everything but the values) is built by the same SQLAlchemy builder as every
other read and compiled as usual. Its SQL text, the order of its parameters and its
types' converters are kept, so every later read of that shape only binds its values and
runs asyncpg's prepared statement on the pooled connection: no statement is built, no
cache key walked, no execution context nor result object made per request. On the read
bench's first page that work was about a fifth of the API's CPU per request.

Every value a statement binds must be a named parameter whose value the caller passes
again per request (``values``); the first compilation checks that the values given
reproduce SQLAlchemy's own parameters exactly, and a shape where they do not is never
prepared: its reads keep going through SQLAlchemy.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import Select
from sqlalchemy.types import TypeEngine

from infra.db.read_pool import ReadPool

Converter = Callable[[Any], Any]
Row = Sequence[object]

# Position of a parameter: the name of the value it takes, and for an expanded list
# (``IN``) the item's index in that list.
Source = tuple[str, int | None]


@dataclass(slots=True)
class Prepared:
    """One shape's SQL text, where its parameters come from and how its values convert.
    The result converters depend on the types the server reports for the columns, so
    they are settled when the statement first runs."""

    sql: str
    sources: tuple[Source, ...]
    binds: tuple[Converter | None, ...]
    types: tuple[TypeEngine[Any], ...]
    dialect: Dialect
    # The values written into the text itself (a LIMIT), by name: it serves only reads
    # that give the same.
    literals: tuple[tuple[str, object], ...] = ()
    results: tuple[tuple[int, Converter], ...] | None = None

    def serves(self, values: Mapping[str, object]) -> bool:
        return all(values.get(name) == value for name, value in self.literals)

    def parameters(self, values: Mapping[str, object]) -> list[object]:
        found: list[object] = []
        for (name, index), bind in zip(self.sources, self.binds, strict=True):
            value = values[name]
            if index is not None:
                value = value[index]  # type: ignore[index]
            found.append(value if bind is None else bind(value))
        return found

    def settle(self, server_types: Sequence[int]) -> tuple[tuple[int, Converter], ...]:
        """The converters SQLAlchemy would apply to each column (given the type the
        server reports for it), where there is one."""
        converters: list[tuple[int, Converter]] = []
        for position, (kind, oid) in enumerate(zip(self.types, server_types, strict=True)):
            convert = kind.dialect_impl(self.dialect).result_processor(self.dialect, oid)
            if convert is not None:
                converters.append((position, convert))
        self.results = tuple(converters)
        return self.results

    def rows(
        self, records: Sequence[Row], results: tuple[tuple[int, Converter], ...]
    ) -> Sequence[Row]:
        if not results:
            return records
        converted: list[Row] = []
        for record in records:
            row = list(record)
            for position, convert in results:
                row[position] = convert(row[position])
            converted.append(row)
        return converted


def shape_of(values: Mapping[str, object]) -> tuple[tuple[str, int], ...]:
    """What of ``values`` shapes a statement: which are given, and each list's length."""
    return tuple(
        (name, len(value) if isinstance(value, list | tuple) else -1)
        for name, value in values.items()
    )


class PreparedStatements:
    """Prepared forms by shape, bounded, least recently used first out; a shape that cannot
    be prepared is remembered as such (None). ``listeners`` are called with each statement
    run, as SQLAlchemy's ``before_cursor_execute`` is for the others."""

    def __init__(self, dialect: Dialect, pool: ReadPool, *, size: int = 512) -> None:
        self._dialect = dialect
        self.pool = pool
        self._size = size
        self._known: OrderedDict[Hashable, Prepared | None] = OrderedDict()
        self.listeners: list[Callable[[str], None]] = []

    async def rows(
        self,
        shape: Hashable,
        values: Mapping[str, object],
        build: Callable[[], Select[Any]],
    ) -> Sequence[Row] | None:
        """The rows of the statement ``build`` makes, whose parameters are ``values``, read
        through its prepared form; None when its shape cannot be prepared."""
        prepared = self.prepared(shape, values, build)
        if prepared is None:
            return None
        for listener in self.listeners:
            listener(prepared.sql)
        async with self.pool.connection() as connection:
            return await fetch(connection, prepared, values)

    async def close(self) -> None:
        await self.pool.close()

    def prepared(
        self, shape: Hashable, values: Mapping[str, object], build: Callable[[], Select[Any]]
    ) -> Prepared | None:
        known = self._known
        if shape in known:
            kept = known[shape]
            if kept is None or kept.serves(values):
                known.move_to_end(shape)
                return kept
        found = prepare(build(), values, self._dialect)
        known[shape] = found
        if len(known) > self._size:
            known.popitem(last=False)
        return found


def prepare(
    statement: Select[Any], values: Mapping[str, object], dialect: Dialect
) -> Prepared | None:
    """``statement`` compiled for asyncpg, or None when ``values`` do not give each of its
    parameters exactly the value SQLAlchemy would bind."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    expected = compiled.params
    names = compiled.positiontup or []
    sources: list[Source] = []
    for name in names:
        source = _source(name, values)
        if source is None:
            return None
        sources.append(source)
    processors: Mapping[str, Any] = compiled._bind_processors
    binds: tuple[Converter | None, ...] = tuple(processors.get(name) for name in names)
    literals = tuple(
        (bound.key, bound.effective_value) for bound in compiled.literal_execute_params
    )
    if any(name not in values or values[name] != value for name, value in literals):
        return None
    types = tuple(column.type for column in statement.selected_columns)
    found = Prepared(compiled.string, tuple(sources), binds, types, dialect, literals)
    unconverted = Prepared(found.sql, found.sources, (None,) * len(names), types, dialect)
    if unconverted.parameters(values) != [expected[name] for name in names]:
        return None
    return found


def _source(name: str, values: Mapping[str, object]) -> Source | None:
    if name in values:
        return name, None
    base, _, position = name.rpartition("_")
    listed = values.get(base)
    if position.isdigit() and isinstance(listed, list | tuple) and 0 < int(position) <= len(listed):
        return base, int(position) - 1
    return None


async def fetch(connection: Any, prepared: Prepared, values: Mapping[str, object]) -> Sequence[Row]:
    """The rows of ``prepared`` with ``values``, run on an asyncpg ``connection`` (which
    keeps each text's prepared statement)."""
    parameters = prepared.parameters(values)
    results = prepared.results
    if results is None:
        statement = await connection.prepare(prepared.sql)
        results = prepared.settle([attribute.type.oid for attribute in statement.get_attributes()])
    records = await connection.fetch(prepared.sql, *parameters)
    return prepared.rows(records, results)
