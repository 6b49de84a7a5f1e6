"""How each compiled object is read from plain rows and written into the response.

Every entity the compiler knows lists the GraphQL fields it can answer from columns: the
attributes it reads (named as the domain names them, which is how the SQL builder picks the
columns) and how those raw values become the domain's value. The schema's own serialiser of
the field's type then turns that value into the answer, exactly as the executor's leaf
completion does. A field that is not listed here (one with a resolver of its own, a computed
amount, a relation the compiler cannot join) makes the whole operation run on the executor.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList

from resolvers.node_ids import to_global_id

Row = Sequence[Any]
Shaper = Callable[[Row], object]
# The generated shapers' parameter.
ROW = "row"


class FallBack(Exception):
    """A compiled operation met something only the executor answers right (a NULL where the
    schema promises a value, a value no serialiser takes): run it on the executor."""


class NotCompilable(Exception):
    """The selection holds something the compiler does not reproduce."""


def _same(value: Any) -> Any:
    return value


def _ends_at(scheduled_at: datetime, duration_minutes: int) -> datetime:
    return scheduled_at + timedelta(minutes=duration_minutes)


def _reason(value: str | None) -> str | None:
    # The domain reads an empty rejection reason as none at all.
    return value or None


def _listed(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise FallBack("a list column holds no list")
    return list(value)


@dataclass(frozen=True, slots=True)
class Column:
    """A leaf field read from ``attributes`` (the first one decides whether it is NULL)."""

    attributes: tuple[str, ...]
    read: Callable[..., Any] = _same
    global_id: str | None = None


def _col(*attributes: str, read: Callable[..., Any] = _same) -> Column:
    return Column(attributes, read)


def _gid(type_name: str) -> Column:
    return Column(("id",), global_id=type_name)


APPOINTMENT: dict[str, Column] = {
    "id": _gid("Appointment"),
    "scheduledAt": _col("scheduled_at"),
    "endsAt": _col("scheduled_at", "duration_minutes", read=_ends_at),
    "durationMinutes": _col("duration_minutes"),
    "appointmentType": _col("appointment_type"),
    "meetingType": _col("meeting_type"),
    "meetingUrl": _col("meeting_url"),
    "notes": _col("notes"),
    "consultationFee": _col("consultation_fee"),
    "isPaid": _col("is_paid"),
    "status": _col("status"),
    "rejectionReason": _col("rejection_reason", read=_reason),
    "cancellationReason": _col("cancellation_reason"),
    "createdAt": _col("created_at"),
    "updatedAt": _col("updated_at"),
    "version": _col("version"),
    "statusNote": _col("status_note"),
    "lateCancellation": _col("late_cancellation"),
    "cancellationFee": _col("cancellation_fee"),
    "awaitingConfirmationUntil": _col("awaiting_confirmation_until"),
    "rescheduleTo": _col("reschedule_to"),
    "seriesIndex": _col("series_index"),
    "amountPaid": _col("amount_paid"),
}

PATIENT: dict[str, Column] = {
    "id": _gid("Patient"),
    "name": _col("name"),
    "email": _col("email"),
    "phone": _col("phone"),
    "timeZone": _col("time_zone"),
}

PSYCHOLOGIST: dict[str, Column] = {
    "id": _gid("Psychologist"),
    "name": _col("name"),
    "email": _col("email"),
    "specialties": _col("specialties", read=_listed),
    "timeZone": _col("time_zone"),
    "defaultDurationMinutes": _col("default_duration_minutes"),
    "consultationFee": _col("consultation_fee"),
    "active": _col("active"),
}

ENTITIES: dict[str, dict[str, Column]] = {
    "Appointment": APPOINTMENT,
    "Patient": PATIENT,
    "Psychologist": PSYCHOLOGIST,
}


@dataclass(frozen=True, slots=True)
class LeafType:
    """How a leaf of one type is answered: whether it may be null, the serialiser of a
    value that is not, and the Python type whose values it answers unchanged (if any)."""

    nullable: bool
    serialize: Callable[[Any], Any]
    unchanged: type | None = None


# Built-in scalars whose serialiser hands back a value of this type as it is.
_UNCHANGED: dict[int, type] = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool}


def leaf_type(field_type: GraphQLOutputType) -> LeafType:
    """The schema's serialiser for a leaf of ``field_type``; it raises FallBack wherever
    the executor would answer an error."""
    nullable = not isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if isinstance(inner, GraphQLList):
        item = serializer(inner.of_type)

        def many(value: Any) -> Any:
            return [item(v) for v in value]

        return LeafType(nullable, many)
    if isinstance(inner, GraphQLEnumType):
        return LeafType(nullable, _enum_serializer(inner))
    if isinstance(inner, GraphQLScalarType):
        serialize = inner.serialize

        def scalar(value: Any) -> Any:
            serialized = serialize(value)
            if serialized is None:
                raise FallBack(f"{inner.name} serialised to null")
            return serialized

        return LeafType(nullable, scalar, _UNCHANGED.get(id(inner)))
    raise NotCompilable(f"no leaf serialiser for {inner}")


def serializer(field_type: GraphQLOutputType) -> Callable[[Any], Any]:
    """``leaf_type``'s serialiser with its NULL check."""
    leaf = leaf_type(field_type)
    return _checked(leaf.serialize, leaf.nullable)


def _enum_serializer(enum_type: GraphQLEnumType) -> Callable[[Any], Any]:
    """Stored values to the names the schema answers, computed once with its serialiser."""
    wrapped: type[Enum] | None = getattr(enum_type, "wrapped_cls", None)
    if wrapped is None:
        raise NotCompilable(f"enum {enum_type.name} has no Python enum")
    names = {member.value: enum_type.serialize(member) for member in wrapped}

    def enum(value: Any) -> Any:
        try:
            return names[value.value if isinstance(value, Enum) else value]
        except KeyError:
            raise FallBack(f"{value!r} is no {enum_type.name}") from None

    return enum


def _checked(serialize: Callable[[Any], Any], nullable: bool) -> Callable[[Any], Any]:
    if nullable:
        return lambda value: None if value is None else serialize(value)

    def required(value: Any) -> Any:
        if value is None:
            raise FallBack("NULL where the schema promises a value")
        return serialize(value)

    return required


class Layout:
    """The columns of one statement, per entity, in the order they were asked for."""

    def __init__(self, entities: Sequence[str]) -> None:
        self._names: dict[str, list[str]] = {entity: [] for entity in entities}
        self._offsets: dict[str, int] | None = None

    def need(self, entity: str, attribute: str) -> None:
        names = self._names[entity]
        if attribute not in names:
            names.append(attribute)

    def attributes(self, entity: str) -> tuple[str, ...]:
        return tuple(self._names[entity])

    def index(self, entity: str, attribute: str) -> int:
        if self._offsets is None:
            offsets, start = {}, 0
            for name, attributes in self._names.items():
                offsets[name] = start
                start += len(attributes)
            self._offsets = offsets
        return self._offsets[entity] + self._names[entity].index(attribute)


ObjectFields = Callable[[GraphQLObjectType, FieldDetailsList], dict[str, FieldDetailsList]]


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A selection on an entity, read from the columns of ``entity`` in a row."""

    entity: str
    type_name: str
    fields: tuple[tuple[str, "LeafSpec | EntitySpec | str"], ...]


@dataclass(frozen=True, slots=True)
class LeafSpec:
    entity: str
    column: Column
    kind: LeafType

    @property
    def serialize(self) -> Callable[[Any], Any]:
        return _checked(self.kind.serialize, self.kind.nullable)


# The relations an entity's row joins: field name -> the entity it holds.
JOINS: dict[str, dict[str, str]] = {
    "Appointment": {"patient": "Patient", "psychologist": "Psychologist"},
}


def entity_spec(
    entity: str,
    object_type: GraphQLObjectType,
    fields: dict[str, FieldDetailsList],
    subfields: ObjectFields,
    layout: Layout,
    *,
    joins_allowed: bool,
) -> EntitySpec:
    """The spec of ``fields`` (collected on ``object_type``), asking ``layout`` for the
    columns they read. ``entity`` is the row group the type is read from."""
    known = ENTITIES[object_type.name]
    specs: list[tuple[str, LeafSpec | EntitySpec | str]] = []
    layout.need(entity, "id")
    for key, details in fields.items():
        name = details[0].node.name.value
        if name == "__typename":
            specs.append((key, object_type.name))
            continue
        definition = object_type.fields[name]
        if details[0].node.arguments:
            raise NotCompilable(f"{object_type.name}.{name} takes arguments")
        column = known.get(name)
        if column is not None:
            for attribute in column.attributes:
                layout.need(entity, attribute)
            specs.append((key, LeafSpec(entity, column, leaf_type(definition.type))))
            continue
        joined = JOINS.get(object_type.name, {}).get(name)
        field_type = definition.type
        if joined is None or not joins_allowed or not isinstance(field_type, GraphQLNonNull):
            raise NotCompilable(f"{object_type.name}.{name} is not compiled")
        target = field_type.of_type
        assert isinstance(target, GraphQLObjectType)
        specs.append(
            (
                key,
                entity_spec(
                    joined,
                    target,
                    subfields(target, details),
                    subfields,
                    layout,
                    joins_allowed=False,
                ),
            )
        )
    return EntitySpec(entity, object_type.name, tuple(specs))


def link(spec: EntitySpec, layout: Layout) -> Shaper:
    """The function that turns a row into the selection's answer, in response order.

    It is generated as Python source, once per plan: one dict display per object with
    each leaf's column read, NULL check and serialiser inline, so that shaping a row
    costs one call instead of a call per field (shaping was a fifth of a page's CPU)."""
    names: dict[str, object] = {"FallBack": FallBack, "missing": _missing}
    guards: list[tuple[int, str]] = []
    body = _object_source(spec, layout, names, guards)
    checks = "".join(
        f"    if {ROW}[{at}] is None:\n        raise FallBack({message!r})\n"
        for at, message in guards
    )
    source = f"def shape({ROW}):\n{checks}    return {body}\n"
    exec(compile(source, f"<shape of {spec.type_name}>", "exec"), names)  # noqa: S102
    shape: Shaper = names["shape"]  # type: ignore[assignment]
    return shape


def _missing() -> None:
    raise FallBack("NULL where the schema promises a value")


def _object_source(
    spec: EntitySpec, layout: Layout, names: dict[str, object], guards: list[tuple[int, str]]
) -> str:
    # A joined row that is missing: the executor answers the error it makes.
    guards.append((layout.index(spec.entity, "id"), f"no {spec.type_name} row"))
    items: list[str] = []
    for key, part in spec.fields:
        if isinstance(part, str):
            value = repr(part)
        elif isinstance(part, LeafSpec):
            value = _leaf_source(part, layout, names)
        else:
            value = _object_source(part, layout, names, guards)
        items.append(f"{key!r}: {value}")
    return "{" + ", ".join(items) + "}"


def _leaf_source(spec: LeafSpec, layout: Layout, names: dict[str, object]) -> str:
    """An expression of ``row`` giving the leaf's answer."""
    name = f"leaf{len(names)}"
    column, kind = spec.column, spec.kind
    if column.global_id is not None or column.read is not _same:
        names[name] = _leaf(spec, layout)
        return f"{name}({ROW})"
    names[name] = kind.serialize
    at = layout.index(spec.entity, column.attributes[0])
    answer = f"{name}(v)"
    if kind.unchanged is not None:
        names[kind.unchanged.__name__] = kind.unchanged
        answer = f"v if v.__class__ is {kind.unchanged.__name__} else {answer}"
    absent = "None" if kind.nullable else "missing()"
    return f"({absent} if (v := {ROW}[{at}]) is None else {answer})"


def _constant(value: str) -> Shaper:
    return lambda _row: value


def _leaf(spec: LeafSpec, layout: Layout) -> Shaper:
    column, serialize = spec.column, spec.serialize
    indexes = [layout.index(spec.entity, attribute) for attribute in column.attributes]
    if column.global_id is not None:
        type_name, at = column.global_id, indexes[0]

        def global_id(row: Row) -> object:
            value = row[at]
            if not isinstance(value, UUID):
                raise FallBack("an id that is no UUID")
            return serialize(to_global_id(type_name, value))

        return global_id
    read = column.read
    if len(indexes) == 1:
        (at,) = indexes
        if read is _same:
            return lambda row: serialize(row[at])

        def one(row: Row) -> object:
            value = row[at]
            return serialize(None if value is None else read(value))

        return one

    def several(row: Row) -> object:
        values = [row[i] for i in indexes]
        return serialize(None if values[0] is None else read(*values))

    return several
