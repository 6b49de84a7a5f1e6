"""Depth, aliases and directives of a parsed document, and the refusals they lead to."""

import time

import pytest
from graphql import parse

from resolvers.document_limits import DocumentLimits, DocumentShape, measure, shape_refusal

LIMITS = DocumentLimits(max_depth=3, max_aliases=2, max_directives=2)


def nested(levels: int) -> str:
    return "{ " + "a { " * levels + "b" + " }" * levels + " }"


def test_depth_counts_levels_of_selections_below_the_operation() -> None:
    assert measure(parse("{ a }")).depth == 0
    assert measure(parse("{ a { b } }")).depth == 1
    assert measure(parse(nested(50))).depth == 50


def test_depth_follows_fragments_and_takes_the_deepest_branch() -> None:
    query = "{ a { ...F } b } fragment F on T { c { d { e } } ... on T { f } }"
    assert measure(parse(query)).depth == 3


def test_introspection_adds_no_depth() -> None:
    assert measure(parse("{ __schema { types { fields { type { name } } } } }")).depth == 0


def test_aliases_count_every_time_their_fragment_is_spread() -> None:
    query = "{ x: a ...F ...F y: b { ...F } } fragment F on T { one: a two: b }"
    assert measure(parse(query)).aliases == 2 + 3 * 2


def test_directives_are_counted_as_written() -> None:
    query = (
        "query($v: Boolean = true @deprecated) @q { a @include(if: $v) @skip(if: false) ...F @x }"
        " fragment F on T @f { b { c @y } }"
    )
    assert measure(parse(query)).directives == 7


def test_circular_fragments_do_not_loop() -> None:
    shape = measure(parse("{ ...A } fragment A on T { x: a { ...B } } fragment B on T { ...A }"))
    assert shape == DocumentShape(depth=1, aliases=1, directives=0)


def test_an_unknown_fragment_measures_as_nothing() -> None:
    assert measure(parse("{ a { ...Missing } }")) == DocumentShape(1, 0, 0)


def test_a_fragment_bomb_is_measured_in_linear_time() -> None:
    levels = 15
    fragments = " ".join(
        f"fragment F{i} on T {{ {' '.join([f'...F{i + 1}'] * 10)} }}" for i in range(levels)
    )
    started = time.monotonic()
    shape = measure(parse(f"{{ ...F0 }} {fragments} fragment F{levels} on T {{ z: a {{ b }} }}"))
    assert time.monotonic() - started < 1
    assert shape == DocumentShape(depth=1, aliases=10**levels, directives=0)


@pytest.mark.parametrize(
    ("shape", "code"),
    [
        (DocumentShape(depth=4, aliases=0, directives=0), "QUERY_TOO_DEEP"),
        (DocumentShape(depth=3, aliases=3, directives=0), "TOO_MANY_ALIASES"),
        (DocumentShape(depth=3, aliases=2, directives=3), "TOO_MANY_DIRECTIVES"),
    ],
)
def test_a_shape_over_a_limit_is_refused_with_its_code(shape: DocumentShape, code: str) -> None:
    refusal = shape_refusal(shape, LIMITS)
    assert refusal is not None
    assert refusal.extensions is not None
    assert refusal.extensions["code"] == code


def test_a_shape_at_the_limits_passes() -> None:
    assert shape_refusal(DocumentShape(depth=3, aliases=2, directives=2), LIMITS) is None
