"""The static cost of an operation: pure, on a small schema shaped like the real one."""

import time
from collections.abc import Mapping
from math import ceil

import pytest
from graphql import DocumentNode, build_schema, get_operation_ast, parse

from resolvers import query_cost
from resolvers.list_bounds import MAX_HISTORY_EVENTS, SLOTS_PER_POINT, ListBounds
from resolvers.query_cost import PageSizes, Prices, operation_cost
from resolvers.schema import build_schema as build_app_schema

SCHEMA = build_schema(
    """
    interface Node { id: ID! }
    type PageInfo { hasNextPage: Boolean! endCursor: String }
    type Patient implements Node {
      id: ID!
      name: String!
      appointments(first: Int, last: Int): AppointmentConnection!
    }
    type Appointment implements Node {
      id: ID!
      status: Status!
      patient: Patient!
      history: [Event!]!
      tags: [String!]!
      notes: [Note!]!
    }
    type Note { text: String! }
    type Event { version: Int! }
    enum Status { PENDING CONFIRMED }
    type AppointmentEdge { cursor: String! node: Appointment! }
    type AppointmentConnection {
      edges: [AppointmentEdge!]!
      nodes: [Appointment!]!
      pageInfo: PageInfo!
      totalCount: Int!
    }
    type PatientConnection {
      edges: [PatientEdge!]!
      nodes: [Patient!]!
      pageInfo: PageInfo!
    }
    type PatientEdge { cursor: String! node: Patient! }
    input Item { name: String tags: [String!] }
    input BatchInput { items: [Item!]! }
    type BatchPayload { count: Int! patient: Patient }
    type Query {
      hello: String
      node(id: ID!): Node
      patient: Patient
      patients(first: Int, last: Int): PatientConnection!
    }
    type Mutation { batch(input: BatchInput!): BatchPayload! single(name: String): BatchPayload! }
    """
)
PAGES = PageSizes(default=20, maximum=100)


def cost(query: str, variables: dict[str, object] | None = None) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return operation_cost(SCHEMA, document, operation, variables, PAGES)


def test_scalars_are_free_and_objects_cost_one() -> None:
    assert cost("{ hello }") == 0
    assert cost("{ patient { id name } }") == 1
    assert cost("{ patient { id } node(id: 1) { id } }") == 2


def test_a_connection_costs_its_page_of_items() -> None:
    assert cost("{ patients { nodes { id } } }") == 1 + 20
    assert cost("{ patients(first: 5) { nodes { id } } }") == 1 + 5
    assert cost("{ patients(last: 7) { nodes { id } } }") == 1 + 7


def test_the_page_is_never_more_than_the_maximum_nor_less_than_nothing() -> None:
    assert cost("{ patients(first: 5000) { nodes { id } } }") == 1 + 100
    assert cost("{ patients(first: -3) { nodes { id } } }") == 1
    assert cost("{ patients(first: 2, last: 9) { nodes { id } } }") == 1 + 9


def test_page_sizes_come_from_variables_and_their_defaults() -> None:
    query = "query($n: Int = 40) { patients(first: $n) { nodes { id } } }"
    assert cost(query) == 1 + 40
    assert cost(query, {"n": 3}) == 1 + 3
    assert cost(query, {"n": None}) == 1 + 20
    # A wrongly typed variable is refused when coerced; it prices like no page size.
    assert cost(query, {"n": "3"}) == 1 + 20
    assert cost(query, {"n": True}) == 1 + 20


def test_edge_wrappers_are_free_so_edges_and_nodes_cost_the_same() -> None:
    assert cost("{ patients(first: 10) { edges { cursor node { id } } } }") == cost(
        "{ patients(first: 10) { nodes { id } } }"
    )


def test_page_info_costs_one_and_total_count_one() -> None:
    assert cost("{ patients(first: 10) { pageInfo { hasNextPage } } }") == 2
    assert cost("{ patient { appointments(first: 10) { totalCount } } }") == 1 + 1 + 1


def test_nested_connections_multiply() -> None:
    query = """{ patients(first: 10) { nodes {
        appointments(first: 10) { nodes { id patient { name } history { version } } } } } }"""
    # Itself, its patient, its history: three events at most, one each.
    per_appointment = 1 + 1 + MAX_HISTORY_EVENTS
    per_patient = 1 + (1 + 10 * per_appointment)
    assert cost(query) == 1 + 10 * per_patient


def test_fragments_and_inline_fragments_cost_what_they_select_where_spread() -> None:
    inline = cost("{ node(id: 1) { ... on Patient { appointments(first: 4) { nodes { id } } } } }")
    named = cost(
        "{ node(id: 1) { ...P } } fragment P on Patient { appointments(first: 4) { nodes { id } } }"
    )
    assert inline == named == 1 + (1 + 4)
    twice = cost(
        "{ a: patients(first: 2) { nodes { ...P } } b: patients(first: 3) { nodes { ...P } } }"
        " fragment P on Patient { appointments(first: 4) { nodes { id } } }"
    )
    assert twice == (1 + 2 * (1 + 1 + 4)) + (1 + 3 * (1 + 1 + 4))


def test_fragments_spread_inside_a_connection_multiply_by_its_page() -> None:
    assert (
        cost(
            "{ patients(first: 6) { ...Items } } fragment Items on PatientConnection { nodes { id } }"
        )
        == 1 + 6
    )


def test_circular_fragments_do_not_loop() -> None:
    query = (
        "{ patient { ...A } } fragment A on Patient { name ...B }"
        " fragment B on Patient { appointments(first: 2) { nodes { patient { ...A } } } }"
    )
    assert cost(query) == 1 + (1 + 2 * (1 + 1))


def test_a_fragment_bomb_is_priced_in_linear_time() -> None:
    # Each level spreads the next ten times: 10**12 selections if walked naively.
    levels = 12
    fragments = " ".join(
        f"fragment F{i} on Patient {{ {' '.join([f'...F{i + 1}'] * 10)} }}" for i in range(levels)
    )
    last = f"fragment F{levels} on Patient {{ appointments(first: 1) {{ nodes {{ id }} }} }}"
    started = time.monotonic()
    total = cost(f"{{ patient {{ ...F0 }} }} {fragments} {last}")
    assert time.monotonic() - started < 1
    assert total == 1 + 10**levels * (1 + 1)


def test_mutations_cost_one_per_item_they_carry() -> None:
    literal = cost('mutation { batch(input: {items: [{name: "a"}, {name: "b"}]}) { count } }')
    assert literal == 2 + 1
    items = [{"name": str(n)} for n in range(100)]
    carried = cost(
        "mutation($i: BatchInput!) { batch(input: $i) { count } }", {"i": {"items": items}}
    )
    assert carried == 100 + 1
    nested = cost(
        "mutation($i: BatchInput!) { batch(input: $i) { count } }",
        {"i": {"items": [{"tags": ["x", "y", "z"]}]}},
    )
    assert nested == 1 + 3 + 1
    assert cost('mutation { single(name: "a") { patient { id } } }') == 1 + 1


def test_a_deeply_nested_variable_is_read_without_recursion() -> None:
    value: object = []
    for _ in range(10_000):
        value = [value]
    query = "mutation($i: BatchInput!) { batch(input: $i) { count } }"
    assert cost(query, {"i": {"items": value}}) == 10_000 + 1


def test_typename_is_free_and_introspection_roots_cost_one() -> None:
    assert cost("{ __typename patient { __typename } }") == 1
    assert cost("{ __schema { types { name fields { name } } } }") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ viewer { subject role } }", 1),
        (
            "{ appointments(first: 100) { edges { cursor node { id status"
            " patient { name } psychologist { name } } } } }",
            1 + 100 * 3,
        ),
        (
            "{ psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } } }",
            1 + 100 * (1 + 1 + 100),
        ),
    ],
)
def test_figures_on_the_application_schema(query: str, expected: int) -> None:
    schema = build_app_schema()._schema
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    assert operation_cost(schema, document, operation) == expected


def test_a_plain_list_of_objects_costs_its_bound_times_one_item() -> None:
    assert cost("{ node(id: 1) { ... on Appointment { history { version } } } }") == (
        1 + MAX_HISTORY_EVENTS
    )
    # A list nothing bounds by rule is priced at an estimate.
    assert cost("{ node(id: 1) { ... on Appointment { notes { text } } } }") == (
        1 + ListBounds().default
    )


def test_a_list_of_scalars_comes_with_its_row() -> None:
    assert cost("{ node(id: 1) { ... on Appointment { tags } } }") == 1


def test_lists_inside_lists_multiply() -> None:
    # history { appointment { history ... } }: each level multiplies by the bound.
    per_level = 1 + MAX_HISTORY_EVENTS
    assert cost(
        "{ patients(first: 10) { nodes { appointments(first: 10) { nodes { history { version } } } } } }"
    ) == 1 + 10 * (1 + 1 + 10 * per_level)


def app_cost(query: str, variables: dict[str, object] | None = None) -> int:
    schema = build_app_schema()._schema
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return operation_cost(schema, document, operation, variables)


SLOTS = (
    'availableSlots(from: "2030-03-05T00:00:00Z", to: "2030-03-06T00:00:00Z", stepMinutes: {step})'
    " {{ startsAt }}"
)


def test_free_slots_are_priced_by_window_over_step() -> None:
    one_day = app_cost("{ psychologist(id: 1) { " + SLOTS.format(step=15) + " } }")
    # The psychologist, then 96 candidate starts of one point per SLOTS_PER_POINT.
    assert one_day == 1 + ceil(96 / SLOTS_PER_POINT)
    finer = app_cost("{ psychologist(id: 1) { " + SLOTS.format(step=5) + " } }")
    assert finer == 1 + ceil(288 / SLOTS_PER_POINT)
    # Read from variables too; an unreadable window is priced as the longest allowed.
    query = (
        "query($from: DateTime!, $to: DateTime!, $step: Int)"
        " { psychologist(id: 1) { availableSlots(from: $from, to: $to, stepMinutes: $step)"
        " { startsAt } } }"
    )
    window = {"from": "2030-03-05T00:00:00Z", "to": "2030-03-06T00:00:00Z"}
    assert app_cost(query, {**window, "step": 15}) == one_day
    longest = app_cost(query, {"from": "x", "to": "y", "step": 15})
    assert longest == 1 + ceil(31 * 96 / SLOTS_PER_POINT)
    # A step under the minimum is refused when it runs; it prices as the minimum.
    assert app_cost(query, {**window, "step": 0}) == finer


def test_the_operations_that_stalled_everyone_are_refused() -> None:
    window = 'from: "2030-03-05T00:00:00Z", to: "2030-04-05T00:00:00Z"'
    aliases = " ".join(
        f"a{n}: availableSlots({window}, stepMinutes: 5) {{ startsAt }}" for n in range(29)
    )
    slots = app_cost("{ psychologists(first: 100) { nodes { " + aliases + " } } }")
    history = "history { appointment { " * 5 + "id" + " } }" * 5
    nested = app_cost("{ appointments(first: 100) { nodes { " + history + " } } }")
    assert slots > 100 * 29 * 800
    assert nested > 100 * MAX_HISTORY_EVENTS**5


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The costs the walker computed (not those the prices remembered)."""
    found: list[int] = []
    walk = query_cost._CostWalker.total

    def counted(walker: "query_cost._CostWalker") -> int:
        found.append(walk(walker))
        return found[-1]

    monkeypatch.setattr(query_cost._CostWalker, "total", counted)
    return found


def price(prices: Prices, document: DocumentNode, variables: Mapping[str, object] | None) -> int:
    operation = get_operation_ast(document)
    assert operation is not None
    return prices.cost(SCHEMA, document, operation, variables, PAGES, ListBounds())


PAGE = "query($n: Int = 40, $after: String) { patients(first: $n, after: $after) { nodes { id } } }"


def test_a_price_is_remembered_for_the_variables_the_walk_read(walks: list[int]) -> None:
    prices, document = Prices(), parse(PAGE)

    answers = [
        price(prices, document, variables)
        for variables in ({"n": 3}, {"n": 3, "after": "a"}, {"n": 3, "after": "b"}, {"n": 3})
    ]

    assert answers == [1 + 3] * 4
    # The cursor is never read: one walk for all four.
    assert walks == [1 + 3]


def test_other_values_of_what_was_read_are_priced_again(walks: list[int]) -> None:
    prices, document = Prices(), parse(PAGE)

    answers = [
        price(prices, document, variables)
        for variables in ({"n": 3}, {"n": 5}, None, {"n": None}, {"n": 3}, {"n": "3"})
    ]

    assert answers == [1 + 3, 1 + 5, 1 + 40, 1 + 20, 1 + 3, 1 + 20]
    assert walks == [1 + 3, 1 + 5, 1 + 40, 1 + 20, 1 + 20]


def test_each_document_has_its_own_prices(walks: list[int]) -> None:
    prices = Prices()
    first, second = (
        parse(PAGE),
        parse(PAGE.replace("nodes { id }", "nodes { id } pageInfo { endCursor }")),
    )

    assert [price(prices, d, {"n": 2}) for d in (first, second, first, second)] == [3, 4, 3, 4]
    assert walks == [3, 4]


def test_prices_are_bounded() -> None:
    prices = Prices(size=2, per_operation=2)
    documents = [parse(PAGE) for _ in range(3)]
    for document in documents:
        for n in range(4):
            assert price(prices, document, {"n": n}) == 1 + n

    assert len(prices._known) == 2
    assert all(len(entry.costs) == 2 for entry in prices._known.values())
