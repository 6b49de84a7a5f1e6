"""The operations the compiled read path is checked on: every one is sent to an app that
compiles reads and to one that runs everything on the executor, and both answers must be
the same bytes.

The corpus crosses selections (fields of every kind, people joined, aliases, fragments,
directives, fields the compiler does not cover) with arguments (every filter and order,
pages forwards and backwards, bad arguments) and runs them as every role.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

APPOINTMENT_LEAVES = (
    "id scheduledAt endsAt durationMinutes appointmentType meetingType meetingUrl notes "
    "consultationFee isPaid status rejectionReason cancellationReason createdAt updatedAt "
    "version statusNote lateCancellation cancellationFee awaitingConfirmationUntil "
    "rescheduleTo seriesIndex amountPaid __typename"
)
PATIENT_LEAVES = "id name email phone timeZone __typename"
PSYCHOLOGIST_LEAVES = (
    "id name email specialties timeZone defaultDurationMinutes consultationFee active __typename"
)

# Selections of an appointment connection, each a (name, body, fragments) triple.
CONNECTION_SELECTIONS: tuple[tuple[str, str, str], ...] = (
    ("ids", "edges { node { id } }", ""),
    (
        "bench page",
        "edges { node { id scheduledAt status appointmentType "
        "patient { name email } psychologist { name } } } pageInfo { endCursor hasNextPage }",
        "",
    ),
    ("every leaf", f"edges {{ cursor node {{ {APPOINTMENT_LEAVES} }} }}", ""),
    (
        "people",
        f"nodes {{ id patient {{ {PATIENT_LEAVES} }} psychologist {{ {PSYCHOLOGIST_LEAVES} }} }}",
        "",
    ),
    (
        "page info and total",
        "totalCount __typename pageInfo { __typename hasNextPage "
        "hasPreviousPage startCursor endCursor } edges { __typename cursor }",
        "",
    ),
    (
        "aliases",
        "all: totalCount rows: edges { at: cursor it: node { key: id when: scheduledAt "
        "who: patient { called: name } same: id } } more: pageInfo { next: hasNextPage }",
        "",
    ),
    (
        "named fragments",
        "...Page",
        "fragment Page on AppointmentConnection { edges { node { "
        "...Row } } pageInfo { ...Info } } fragment Row on Appointment { id status psychologist "
        "{ ...Person } } fragment Person on Psychologist { name specialties } fragment Info on "
        "PageInfo { endCursor hasPreviousPage }",
    ),
    (
        "inline fragments",
        "... on AppointmentConnection { nodes { ... on Appointment { id "
        "endsAt } ... { status } } } ... @include(if: true) { totalCount }",
        "",
    ),
    (
        "merged fields",
        "edges { node { id patient { name } } } edges { node { status "
        "patient { email } } cursor } nodes { id } nodes { version }",
        "",
    ),
    (
        "directives",
        "totalCount @skip(if: $skip) edges { node { id status @include(if: $show) "
        "patient @include(if: $show) { name } psychologist @skip(if: $skip) { name } } }",
        "",
    ),
    (
        "literal directives",
        "totalCount @skip(if: true) edges @include(if: true) { node { id "
        "notes @skip(if: false) } }",
        "",
    ),
    ("not compiled: computed", "edges { node { id amountDue } }", ""),
    ("not compiled: resolver", "nodes { id history { status version } }", ""),
    ("not compiled: nested", "nodes { id patient { appointments(first: 1) { totalCount } } }", ""),
)

ORDERS = tuple(
    f"{{ field: {name}, direction: {direction} }}"
    for name in ("SCHEDULED_AT", "CREATED_AT", "UPDATED_AT", "STATUS")
    for direction in ("ASC", "DESC")
)


@dataclass
class World:
    """What the corpus refers to: ids of rows the test made, and the roles' subjects."""

    psychologist_ids: list[str]
    patient_ids: list[str]
    appointment_ids: list[str]
    window: tuple[datetime, datetime]
    roles: list[tuple[str, str] | None] = field(default_factory=list)


@dataclass(frozen=True)
class Operation:
    label: str
    query: str
    variables: dict[str, Any]
    as_: tuple[str, str] | None


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def connection_arguments(world: World) -> Iterator[tuple[str, str]]:
    """(label, arguments) of ``appointments(...)``: every filter and order, and bad ones."""
    start, end = world.window
    middle = start + (end - start) / 2
    psychologist, patient = world.psychologist_ids[0], world.patient_ids[0]
    yield "default page", ""
    yield "first 0", "first: 0"
    yield "first 3", "first: 3"
    yield "first 100", "first: 100"
    yield "last 4", "last: 4"
    yield "first 101 (error)", "first: 101"
    yield "first and last (error)", "first: 2, last: 2"
    yield "statuses", "first: 5, filter: { status: [CONFIRMED, PENDING] }"
    yield "one status", "first: 5, filter: { status: [REJECTED] }"
    yield "types", "first: 5, filter: { appointmentType: [CONSULTATION, EMERGENCY] }"
    yield "paid", "first: 5, filter: { isPaid: true }"
    yield "unpaid", "first: 5, filter: { isPaid: false }"
    yield "psychologist", f'first: 5, filter: {{ psychologistId: "{psychologist}" }}'
    yield "patient", f'first: 5, filter: {{ patientId: "{patient}" }}'
    yield (
        "window",
        f'first: 5, filter: {{ scheduledFrom: "{_iso(start)}", scheduledTo: "{_iso(middle)}" }}',
    )
    yield (
        "Q3 window",
        f'first: 20, filter: {{ psychologistId: "{psychologist}", status: [CONFIRMED, PENDING], '
        f'scheduledFrom: "{_iso(start)}", scheduledTo: "{_iso(end)}" }}',
    )
    yield (
        "reversed window (error)",
        f'filter: {{ scheduledFrom: "{_iso(end)}", scheduledTo: "{_iso(start)}" }}',
    )
    yield "id of another type (error)", f'filter: {{ psychologistId: "{patient}" }}'
    yield "bad cursor (error)", 'after: "bm90IGEgY3Vyc29y"'
    for order in ORDERS:
        yield f"order {order}", f"first: 4, orderBy: {order}"


def operations(world: World, cursors: dict[str, tuple[str, str]]) -> Iterator[Operation]:
    """The corpus. ``cursors`` maps an order to a (start, end) cursor pair of a page in it."""
    arguments_list = list(connection_arguments(world))
    for as_ in world.roles:
        role = as_[0] if as_ else "anonymous"
        # Every selection with every argument for the admin; for the other roles, every
        # selection and every argument, paired in turn.
        if as_ == world.roles[0]:
            crossed = [(s, a) for s in CONNECTION_SELECTIONS for a in arguments_list[:10]] + [
                (s, a) for s in CONNECTION_SELECTIONS[1:4] for a in arguments_list[10:]
            ]
        else:
            crossed = [
                (CONNECTION_SELECTIONS[n % len(CONNECTION_SELECTIONS)], arguments_list[n])
                for n in range(len(arguments_list))
            ] + [(s, arguments_list[0]) for s in CONNECTION_SELECTIONS]
        for (name, selection, fragments), (label, arguments) in crossed:
            args = f"({arguments})" if arguments else ""
            switches = (
                "($skip: Boolean = false, $show: Boolean = true)" if "$skip" in selection else ""
            )
            query = f"query Corpus{switches} {{ appointments{args} {{ {selection} }} }} {fragments}"
            yield Operation(f"{role}: {name}: {label}", query, {}, as_)
        admin = as_ == world.roles[0]
        yield from _cursor_pages(
            role, as_, cursors if admin else {k: v for k, v in cursors.items() if "SCHED" in k}
        )
        yield from _variables(world, role, as_, every=admin)
        yield from _by_id(world, role, as_)


def _cursor_pages(
    role: str, as_: tuple[str, str] | None, cursors: dict[str, tuple[str, str]]
) -> Iterator[Operation]:
    query = (
        "query Pages($first: Int, $last: Int, $after: String, $before: String, "
        "$orderBy: AppointmentOrder) { appointments(first: $first, last: $last, "
        "after: $after, before: $before, orderBy: $orderBy) { edges { cursor node { id "
        "scheduledAt status } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } "
        "} }"
    )
    for order, (start, end) in cursors.items():
        field_name, direction = order.split(":")
        order_by = {"field": field_name, "direction": direction}
        for label, variables in (
            ("after", {"first": 3, "after": end}),
            ("before", {"last": 3, "before": start}),
            ("between", {"first": 10, "after": start, "before": end}),
            ("last after", {"last": 2, "after": start}),
        ):
            yield Operation(
                f"{role}: cursor {label} {order}", query, {**variables, "orderBy": order_by}, as_
            )
        yield Operation(
            f"{role}: cursor of another order (error) {order}",
            query,
            {"first": 2, "after": end, "orderBy": {"field": "STATUS", "direction": "DESC"}}
            if order != "STATUS:DESC"
            else {"first": 2, "after": end},
            as_,
        )


def _variables(
    world: World, role: str, as_: tuple[str, str] | None, *, every: bool
) -> Iterator[Operation]:
    query = (
        "query Filtered($filter: AppointmentFilter, $first: Int, $skip: Boolean!, "
        "$show: Boolean!) { appointments(first: $first, filter: $filter) { totalCount "
        "@skip(if: $skip) nodes { id status @include(if: $show) psychologist { name } } } }"
    )
    start, end = world.window
    switches = [(False, False), (False, True), (True, False), (True, True)]
    for skip, show in switches if every else [(role == "patient", True)]:
        for label, filter_ in (
            ("none", None),
            ("statuses", {"status": ["CONFIRMED", "CANCELLED"]}),
            ("psychologist", {"psychologistId": world.psychologist_ids[-1]}),
            ("window", {"scheduledFrom": _iso(start), "scheduledTo": _iso(end)}),
            ("bad status (error)", {"status": ["NOPE"]}),
            ("bad date (error)", {"scheduledFrom": "yesterday"}),
            ("null list", {"status": None}),
        ):
            yield Operation(
                f"{role}: variables {label} skip={skip} show={show}",
                query,
                {"filter": filter_, "first": 6, "skip": skip, "show": show},
                as_,
            )
    yield Operation(
        f"{role}: bad first (error)", query, {"first": "six", "skip": False, "show": True}, as_
    )


def _by_id(world: World, role: str, as_: tuple[str, str] | None) -> Iterator[Operation]:
    single = (
        f"query One($id: ID!) {{ appointment(id: $id) {{ {APPOINTMENT_LEAVES} patient {{ name }} "
        "psychologist { name } } }"
    )
    node = (
        "query Node($id: ID!) { node(id: $id) { __typename id ... on Appointment { status "
        "scheduledAt patient { name } } ... on Psychologist { name } } }"
    )
    nested = (
        "query Nested($id: ID!, $first: Int) { psychologist(id: $id) { id name appointments("
        "first: $first) { totalCount edges { cursor node { id status patient { name } } } "
        "pageInfo { hasNextPage endCursor } } } }"
    )
    listed = (
        "query Listed($first: Int) { psychologists(first: $first) { edges { cursor node { id "
        "name email specialties appointments(first: 3) { nodes { id scheduledAt } pageInfo { "
        "hasNextPage } } } } pageInfo { endCursor } } }"
    )
    for key in world.appointment_ids[:6]:
        yield Operation(f"{role}: appointment by id", single, {"id": key}, as_)
        yield Operation(f"{role}: node by id", node, {"id": key}, as_)
    for key in world.psychologist_ids:
        yield Operation(f"{role}: node psychologist", node, {"id": key}, as_)
        yield Operation(f"{role}: nested", nested, {"id": key, "first": 4}, as_)
    yield Operation(
        f"{role}: appointment of another type (error)", single, {"id": world.patient_ids[0]}, as_
    )
    yield Operation(f"{role}: appointment bad id (error)", single, {"id": "nope"}, as_)
    yield Operation(
        f"{role}: node of nothing",
        node,
        {"id": "QXBwb2ludG1lbnQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"},
        as_,
    )
    yield Operation(f"{role}: psychologists with nested pages", listed, {"first": 3}, as_)
    yield Operation(f"{role}: typename only", "{ __typename }", {}, as_)
    yield Operation(
        f"{role}: two roots",
        "{ __typename a: appointments(first: 2) { nodes { id } } "
        "b: appointments(last: 1) { totalCount } }",
        {},
        as_,
    )
    yield Operation(f"{role}: viewer", "{ viewer { role subject } }", {}, as_)
