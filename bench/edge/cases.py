"""The operations sent: one normal small query and three the edge must refuse, each with
what its answer must hold for the load generator to count it as the expected one."""

from dataclasses import dataclass

import orjson

# 31 aliases: one over the default MAX_ALIASES (30).
ALIASES = 31


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    query: str
    # The answer must hold this text (an error code, or the data's first field).
    expect: str
    refused: bool

    @property
    def body(self) -> bytes:
        return orjson.dumps({"query": self.query})


def deep(levels: int) -> str:
    """A valid selection ``levels`` deep: patient → appointments → patient → ..."""
    opening = "viewer { patient { " + "appointments { nodes { patient { " * (levels // 3)
    return "{ " + opening + "name" + " }" * (2 + 3 * (levels // 3)) + " }"


CASES = (
    Case(
        "normal",
        "`psychologists(first: 5) { nodes { id name } }`, answered from PostgreSQL",
        "{ psychologists(first: 5) { nodes { id name } } }",
        '"psychologists"',
        refused=False,
    ),
    Case("deep", "depth 50", deep(50), "QUERY_TOO_DEEP", refused=True),
    Case(
        "aliases",
        f"{ALIASES} aliases of `__typename`",
        "{ " + " ".join(f"a{n}: __typename" for n in range(ALIASES)) + " }",
        "TOO_MANY_ALIASES",
        refused=True,
    ),
    Case(
        "costly",
        "`psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } }`",
        "{ psychologists(first: 100) { nodes { appointments(first: 100) { nodes { id } } } } }",
        "QUERY_TOO_COSTLY",
        refused=True,
    ),
)
