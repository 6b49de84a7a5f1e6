"""The appointment connection, compiled: one statement for the page (people joined), one for
its total when asked, and the page shaped into the connection's answer."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList

from domain.listing import AppointmentFilter, PageColumns, RowsPage
from resolvers.compiled.shapes import (
    EntitySpec,
    FallBack,
    Layout,
    NotCompilable,
    ObjectFields,
    Row,
    entity_spec,
    link,
    serializer,
)
from resolvers.pagination import encode_cursor
from resolvers.types.connections import AppointmentPageQuery, appointment_page_query

PAGE_ENTITIES = ("Appointment", "Patient", "Psychologist")

ConnectionShaper = Callable[[RowsPage, str], object]


@dataclass(frozen=True, slots=True)
class CompiledConnection:
    """A connection field's page columns and the function that shapes its answer."""

    columns: PageColumns
    with_total: bool
    shape: ConnectionShaper


@dataclass(frozen=True, slots=True)
class CompiledRow:
    """An appointment read by its id: its columns and the function that shapes its row."""

    columns: PageColumns
    shape: Callable[[Row], object]


def compile_appointment(
    object_type: GraphQLObjectType, details: FieldDetailsList, subfields: ObjectFields
) -> CompiledRow:
    layout = Layout(PAGE_ENTITIES)
    spec = entity_spec(
        "Appointment",
        object_type,
        subfields(object_type, details),
        subfields,
        layout,
        joins_allowed=True,
    )
    shape = link(spec, layout)
    return CompiledRow(_columns(layout), shape)


def _columns(layout: Layout) -> PageColumns:
    return PageColumns(
        appointment=layout.attributes("Appointment"),
        patient=layout.attributes("Patient") or None,
        psychologist=layout.attributes("Psychologist") or None,
    )


def compile_connection(
    connection_type: GraphQLObjectType, details: FieldDetailsList, subfields: ObjectFields
) -> CompiledConnection:
    layout = Layout(PAGE_ENTITIES)
    fields = subfields(connection_type, details)
    parts: list[tuple[str, Callable[[RowsPage, Sequence[Row], Cursors], object]]] = []
    with_total = False
    node_specs: list[tuple[EntitySpec, Any]] = []
    for key, field_details in fields.items():
        name = field_details[0].node.name.value
        if name == "__typename":
            parts.append((key, _constant(connection_type.name)))
        elif name == "totalCount":
            with_total = True
            parts.append((key, _total(serializer(connection_type.fields[name].type))))
        elif name == "pageInfo":
            parts.append((key, _page_info(connection_type.fields[name], field_details, subfields)))
        elif name == "nodes":
            node_type = _item_type(connection_type.fields[name])
            spec = entity_spec(
                "Appointment",
                node_type,
                subfields(node_type, field_details),
                subfields,
                layout,
                joins_allowed=True,
            )
            holder: list[Any] = []
            node_specs.append((spec, holder))
            parts.append((key, _nodes(holder)))
        elif name == "edges":
            edge_type = _item_type(connection_type.fields[name])
            edges, pending = _edges(
                edge_type, subfields(edge_type, field_details), subfields, layout
            )
            parts.append((key, edges))
            node_specs.extend(pending)
        else:
            raise NotCompilable(f"{connection_type.name}.{name} is not compiled")
    for spec, holder in node_specs:
        holder.append(link(spec, layout))
    columns = _columns(layout)
    width = columns.width

    def shape(page: RowsPage, ordering: str) -> object:
        rows = page.rows
        if rows and len(rows[0]) != width + 2:
            raise FallBack("rows of another shape")
        cursors = Cursors(rows, ordering)
        return {key: part(page, rows, cursors) for key, part in parts}

    return CompiledConnection(columns, with_total, shape)


class Cursors:
    """The page's cursors, each encoded only when asked for (``endCursor`` needs one)."""

    def __init__(self, rows: Sequence[Row], ordering: str) -> None:
        self._rows = rows
        self._ordering = ordering
        self._known: list[str] | None = None

    def _of(self, row: Row) -> str:
        return encode_cursor(self._ordering, (row[-2], row[-1]))

    def all(self) -> list[str]:
        if self._known is None:
            self._known = [self._of(row) for row in self._rows]
        return self._known

    def first(self) -> str | None:
        return self._of(self._rows[0]) if self._rows else None

    def last(self) -> str | None:
        return self._of(self._rows[-1]) if self._rows else None


def _constant(value: str) -> Callable[..., object]:
    return lambda *_: value


def _item_type(field: GraphQLField) -> GraphQLObjectType:
    """``[T!]!`` -> T; anything else is not the connection this compiler knows."""
    outer = field.type
    if isinstance(outer, GraphQLNonNull):
        outer = outer.of_type
    item = getattr(outer, "of_type", None)
    if isinstance(item, GraphQLNonNull) and isinstance(item.of_type, GraphQLObjectType):
        return item.of_type
    raise NotCompilable(f"unexpected list type {field.type}")


def _nodes(holder: list[Any]) -> Callable[..., object]:
    def nodes(_page: RowsPage, rows: Sequence[Row], _cursors: Cursors) -> object:
        shape = holder[0]
        return [shape(row) for row in rows]

    return nodes


def _edges(
    edge_type: GraphQLObjectType,
    fields: dict[str, FieldDetailsList],
    subfields: ObjectFields,
    layout: Layout,
) -> tuple[Callable[..., object], list[tuple[EntitySpec, Any]]]:
    """The edges' shaper, and the node specs to link once the layout is complete."""
    pending: list[tuple[EntitySpec, Any]] = []
    parts: list[tuple[str, str, Any]] = []
    for key, details in fields.items():
        name = details[0].node.name.value
        if name == "__typename":
            parts.append((key, "constant", edge_type.name))
        elif name == "cursor":
            parts.append((key, "cursor", serializer(edge_type.fields[name].type)))
        elif name == "node":
            node_field_type = edge_type.fields[name].type
            if not isinstance(node_field_type, GraphQLNonNull):
                raise NotCompilable("nullable edge node")
            node_type = node_field_type.of_type
            assert isinstance(node_type, GraphQLObjectType)
            spec = entity_spec(
                "Appointment",
                node_type,
                subfields(node_type, details),
                subfields,
                layout,
                joins_allowed=True,
            )
            holder: list[Any] = []
            pending.append((spec, holder))
            parts.append((key, "node", holder))
        else:
            raise NotCompilable(f"{edge_type.name}.{name} is not compiled")

    def edges(_page: RowsPage, rows: Sequence[Row], cursors: Cursors) -> object:
        answer: list[dict[str, object]] = []
        for index, row in enumerate(rows):
            edge: dict[str, object] = {}
            for key, kind, value in parts:
                if kind == "node":
                    edge[key] = value[0](row)
                elif kind == "cursor":
                    edge[key] = value(cursors.all()[index])
                else:
                    edge[key] = value
            answer.append(edge)
        return answer

    return edges, pending


def _page_info(
    field: GraphQLField, details: FieldDetailsList, subfields: ObjectFields
) -> Callable[..., object]:
    info_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    assert isinstance(info_type, GraphQLObjectType)
    parts: list[tuple[str, Callable[[RowsPage, Cursors], object]]] = []
    for key, field_details in subfields(info_type, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            parts.append((key, _constant(info_type.name)))
            continue
        if name not in info_type.fields:
            raise NotCompilable(f"PageInfo.{name}")
        if name not in _PAGE_INFO:
            raise NotCompilable(f"PageInfo.{name}")
        parts.append((key, _info_part(_PAGE_INFO[name], serializer(info_type.fields[name].type))))

    def page_info(page: RowsPage, _rows: Sequence[Row], cursors: Cursors) -> object:
        return {key: part(page, cursors) for key, part in parts}

    return page_info


def _total(serialize: Callable[[Any], Any]) -> Callable[..., object]:
    def total(page: RowsPage, _rows: Sequence[Row], _cursors: Cursors) -> object:
        return serialize(page.total)

    return total


# PageInfo's fields: whether each reads the page or its cursors, and how.
_PAGE_INFO: dict[str, tuple[bool, Callable[[Any], object]]] = {
    "hasNextPage": (False, lambda page: page.has_next),
    "hasPreviousPage": (False, lambda page: page.has_previous),
    "startCursor": (True, Cursors.first),
    "endCursor": (True, Cursors.last),
}


def _info_part(
    read: tuple[bool, Callable[[Any], object]], serialize: Callable[[Any], Any]
) -> Callable[[RowsPage, Cursors], object]:
    of_cursors, value = read

    def part(page: RowsPage, cursors: Cursors) -> object:
        return serialize(value(cursors if of_cursors else page))

    return part


def page_query(
    kwargs: dict[str, Any], viewer: Any, forced: AppointmentFilter | None = None
) -> AppointmentPageQuery:
    return appointment_page_query(
        viewer,
        kwargs.get("filter"),
        kwargs.get("order_by"),
        kwargs.get("first"),
        kwargs.get("after"),
        kwargs.get("last"),
        kwargs.get("before"),
        forced=forced,
    )


EMPTY_PAGE = RowsPage((), has_next=False, has_previous=False, total=0)
