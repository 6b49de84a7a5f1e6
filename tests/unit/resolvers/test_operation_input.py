"""What an operation carries, read before it runs: its appointment requests, counted over
every field, and its texts, bounded."""

from graphql import parse

from resolvers.input_bounds import MAX_STRING_LENGTH, input_refusal
from resolvers.request_count import appointment_requests, refusal

BATCH = "requestAppointments(input: $batch) { acceptedCount }"


def counts(
    query: str, variables: dict[str, object] | None = None, name: str | None = None
) -> list[int]:
    return appointment_requests(parse(query), name, variables)


def test_each_field_counts_its_items_whether_aliased_or_spread_from_a_fragment() -> None:
    query = (
        f"mutation($batch: RequestAppointmentsInput!, $one: RequestAppointmentInput!) {{ a: {BATCH}"
        " ...More ... on Mutation { c: requestAppointment(input: $one) { __typename } } }"
        f" fragment More on Mutation {{ b: {BATCH} }}"
    )
    assert sorted(counts(query, {"batch": {"appointments": [{}] * 40}, "one": {}})) == [1, 40, 40]


def test_items_written_in_the_document_are_counted() -> None:
    query = 'mutation { requestAppointments(input: {appointments: [{notes: "a"}, {notes: "b"}]}) { acceptedCount } }'
    assert counts(query) == [2]


def test_queries_and_other_operations_of_the_document_ask_for_nothing() -> None:
    document = f"query Q {{ viewer {{ subject }} }} mutation M($batch: RequestAppointmentsInput!) {{ {BATCH} }}"
    assert counts(document, {"batch": {"appointments": [{}] * 3}}, name="Q") == []
    assert counts(document, {"batch": {"appointments": [{}] * 3}}, name="M") == [3]


def test_past_100_over_several_fields_is_refused_and_one_large_batch_left_to_its_field() -> None:
    assert refusal([60, 41]) is not None
    assert refusal([50, 50]) is None
    assert refusal([101]) is None


def test_nul_and_over_long_texts_are_refused_wherever_they_are() -> None:
    deep: object = "a\x00"
    for _ in range(10_000):
        deep = [deep]
    assert input_refusal(None, {"v": deep}) is not None
    assert input_refusal(None, {"k\x00": 1}) is not None
    assert input_refusal(None, {"v": "x" * (MAX_STRING_LENGTH + 1)}) is not None
    assert input_refusal(parse('{ a(b: "c\\u0000") }'), None) is not None
    assert (
        input_refusal(parse('{ a(b: "' + "x" * MAX_STRING_LENGTH + '") }'), {"v": ["ok"]}) is None
    )
