"""Connections with keyset cursors: Strawberry's ListConnection pages by offset, these do not."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from uuid import UUID

import strawberry
from strawberry.types import Info

from domain.appointments import Appointment as DomainAppointment
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    AppointmentOrderField,
    Key,
    Page,
    PageRequest,
    PsychologistOrderField,
    SortValue,
)
from domain.people import Psychologist as DomainPsychologist
from domain.viewer import Viewer
from resolvers.context import Context
from resolvers.errors import bad_user_input
from resolvers.pagination import (
    decode_cursor,
    encode_cursor,
    page_request,
    parse_datetime_key,
    parse_text_key,
)
from resolvers.psychologist_search import key_of, key_parser, ordering_of, page_of, search
from resolvers.selection import selects
from resolvers.types.entities import Appointment, Psychologist
from resolvers.types.inputs import (
    AppointmentFilterInput,
    AppointmentOrderInput,
    PsychologistFilterInput,
    PsychologistOrderInput,
)
from resolvers.types.node import PageInfo

KEY_PARSERS: dict[AppointmentOrderField, Callable[[str], SortValue]] = {
    AppointmentOrderField.SCHEDULED_AT: parse_datetime_key,
    AppointmentOrderField.CREATED_AT: parse_datetime_key,
    AppointmentOrderField.UPDATED_AT: parse_datetime_key,
    AppointmentOrderField.STATUS: parse_text_key,
}


@strawberry.type(name="AppointmentEdge")
class AppointmentEdge:
    cursor: str
    node: Appointment


@strawberry.type(name="PsychologistEdge")
class PsychologistEdge:
    cursor: str
    node: Psychologist


@strawberry.type(name="AppointmentConnection")
class AppointmentConnection:
    edges: list[AppointmentEdge]
    nodes: list[Appointment]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    @strawberry.field(description="Counted only when asked for.")
    def total_count(self) -> int:
        assert self.total is not None, "totalCount is counted whenever it is selected"
        return self.total


@strawberry.type(name="PsychologistConnection")
class PsychologistConnection:
    edges: list[PsychologistEdge]
    nodes: list[Psychologist]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    @strawberry.field(description="Counted only when asked for.")
    def total_count(self) -> int:
        assert self.total is not None, "totalCount is counted whenever it is selected"
        return self.total


def _page_info(cursors: Sequence[str], page: Page[object]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def _merge(forced: AppointmentFilter, wanted: AppointmentFilter) -> AppointmentFilter | None:
    """The parent's constraint added to the caller's filter; None when they contradict."""
    merged = wanted
    for name in ("patient_id", "psychologist_id"):
        pinned, asked = getattr(forced, name), getattr(wanted, name)
        if pinned is None:
            continue
        if asked is not None and asked != pinned:
            return None
        merged = replace(merged, **{name: pinned})
    return merged


@dataclass(frozen=True, slots=True)
class AppointmentPageQuery:
    """What one page of appointments asks for, arguments read and checked: the same for the
    resolvers and for compiled operations. ``wanted`` is None when the parent's constraint
    and the caller's filter contradict (the page is empty without a read)."""

    viewer: Viewer
    wanted: AppointmentFilter | None
    order: AppointmentOrder
    request: PageRequest
    ordering: str


def appointment_page_query(
    viewer: Viewer,
    filter: AppointmentFilterInput | None,
    order_by: AppointmentOrderInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    forced: AppointmentFilter | None = None,
) -> AppointmentPageQuery:
    """Reads the connection's arguments; a ClientError says what is wrong with them."""
    order = order_by.to_domain() if order_by else AppointmentOrder()
    ordering = f"appointments:{order.field}:{order.direction}"
    parse = KEY_PARSERS[order.field]

    def decode(cursor: str, argument: str) -> Key:
        return decode_cursor(cursor, ordering, parse, argument=argument)

    request = page_request(first=first, after=after, last=last, before=before, decode=decode)
    wanted = filter.to_domain() if filter else AppointmentFilter()
    if (
        wanted.scheduled_from
        and wanted.scheduled_to
        and wanted.scheduled_to < wanted.scheduled_from
    ):
        raise bad_user_input(
            "filter.scheduledTo is before filter.scheduledFrom.", argument="filter"
        )
    merged = _merge(forced, wanted) if forced is not None else wanted
    return AppointmentPageQuery(viewer, merged, order, request, ordering)


async def resolve_appointment_connection(
    info: Info[Context, None],
    filter: AppointmentFilterInput | None,
    order_by: AppointmentOrderInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    forced: AppointmentFilter | None = None,
) -> AppointmentConnection:
    viewer = info.context.require_viewer()
    query = appointment_page_query(
        viewer, filter, order_by, first, after, last, before, forced=forced
    )
    with_total = selects(info, "totalCount")
    parent = _parent_of(forced)
    if query.wanted is None:
        page: Page[DomainAppointment] = Page([], has_next=False, has_previous=False, total=0)
    elif parent is not None:
        # Under a parent: one read for the pages of every parent of this level.
        kind, parent_id = parent
        page = await info.context.loaders.appointment_pages.load(
            (kind, parent_id, unpinned(query.wanted, kind), query.order, query.request, with_total)
        )
    else:
        page = await info.context.services.appointments.page(
            viewer, query.wanted, query.order, query.request, with_total=with_total
        )
    nodes = [Appointment.from_domain(item) for item in page.items]
    key_of = _key_reader(query.order.field)
    cursors = [encode_cursor(query.ordering, key_of(node)) for node in nodes]
    return AppointmentConnection(
        edges=[AppointmentEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=_page_info(cursors, page),  # type: ignore[arg-type]
        total=page.total,
    )


def _parent_of(forced: AppointmentFilter | None) -> tuple[str, UUID] | None:
    if forced is None:
        return None
    if forced.psychologist_id is not None:
        return "psychologist", forced.psychologist_id
    if forced.patient_id is not None:
        return "patient", forced.patient_id
    return None


def unpinned(wanted: AppointmentFilter, parent: str) -> AppointmentFilter:
    """The filter without the parent's own pin, which the read per parent adds back."""
    if parent == "psychologist":
        return replace(wanted, psychologist_id=None)
    return replace(wanted, patient_id=None)


def _key_reader(field: AppointmentOrderField) -> Callable[[Appointment], Key]:
    attribute = {
        AppointmentOrderField.SCHEDULED_AT: "scheduled_at",
        AppointmentOrderField.CREATED_AT: "created_at",
        AppointmentOrderField.UPDATED_AT: "updated_at",
        AppointmentOrderField.STATUS: "status",
    }[field]

    def key(node: Appointment) -> Key:
        value = getattr(node.domain, attribute)
        return (value.value if field is AppointmentOrderField.STATUS else value), node.domain.id

    return key


async def resolve_psychologist_connection(
    info: Info[Context, None],
    filter: PsychologistFilterInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    order_by: PsychologistOrderInput | None = None,
) -> PsychologistConnection:
    viewer = info.context.require_viewer()
    field = PsychologistOrderField(order_by.field) if order_by else PsychologistOrderField.NAME
    ordering = ordering_of(field)

    def decode(cursor: str, argument: str) -> Key:
        return decode_cursor(cursor, ordering, key_parser(field), argument=argument)  # type: ignore[arg-type]

    request = page_request(first=first, after=after, last=last, before=before, decode=decode)
    wanted = filter.to_domain() if filter else PsychologistFilterInput().to_domain()
    if not viewer.is_admin:
        # Deactivated psychologists are hidden from everyone's search but the admins'.
        wanted = replace(wanted, active=True)
    available = filter.available_between if filter else None
    if available is None and field is PsychologistOrderField.NAME:
        page = await info.context.services.people.psychologists_page(
            wanted, request, with_total=selects(info, "totalCount")
        )
        items: Sequence[DomainPsychologist] = page.items
        nodes = [Psychologist.from_domain(item) for item in items]
        cursors = [encode_cursor(ordering, (n.domain.name, n.domain.id)) for n in nodes]
    else:
        found = page_of(await search(info.context, wanted, available, field), field, request)
        page = Page(
            [f.psychologist for f in found.items], found.has_next, found.has_previous, found.total
        )
        nodes = [Psychologist.from_domain(f.psychologist) for f in found.items]
        cursors = [encode_cursor(ordering, key_of(f, field)) for f in found.items]
    return PsychologistConnection(
        edges=[PsychologistEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=_page_info(cursors, page),  # type: ignore[arg-type]
        total=page.total,
    )
