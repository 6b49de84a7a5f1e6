"""Fuzzing the API: hostile operations built from schema/schema.graphql, sent as every role,
and the one verdict they all must get: an answer, never a 5xx nor an internal error.

``FUZZ_CASES`` sets how many operations each fuzzing test sends per database (``make
test`` keeps the default; ``make fuzz`` sends many more). ``FUZZ_SEED`` replays a run.
"""

import base64
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_leaf_type,
)

from graphql_client import Api

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "schema.graphql"
DEFAULT_CASES = 300
ROLES: tuple[tuple[str, str] | None, ...] = (
    None,
    ("patient", "patient-fuzz"),
    ("psychologist", "psychologist-fuzz"),
    ("admin", "admin-fuzz"),
)
# What no answer may hold: an internal error, or words from the inside of the server.
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "sqlite3", 'File "', "SELECT ", "INSERT ")


def fuzz_cases() -> int:
    return int(os.environ.get("FUZZ_CASES", DEFAULT_CASES))


def fuzz_seed() -> int:
    return int(os.environ.get("FUZZ_SEED", "20301"))


@dataclass
class Tally:
    """What the fuzzing sent and what came back, by error code."""

    sent: int = 0
    answered: int = 0
    codes: dict[str, int] | None = None

    def add(self, body: dict[str, Any]) -> None:
        self.sent += 1
        if body.get("data") is not None:
            self.answered += 1
        self.codes = self.codes or {}
        for error in body.get("errors") or ():
            code = str((error.get("extensions") or {}).get("code"))
            self.codes[code] = self.codes.get(code, 0) + 1


async def send(
    api: Api, who: tuple[str, str] | None, query: str, variables: dict[str, Any] | None
) -> dict[str, Any]:
    """Send one operation; fail on any 5xx, internal error or leaked detail."""
    headers = {"Authorization": f"Bearer {api.token(*who)}"} if who else {}
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    case = f"as {who}: {query!r} with {variables!r}"[:4000]
    assert response.status_code < 500, f"{response.status_code} {response.text[:500]} {case}"
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code is not None, f"an error without a code: {error} {case}"
        assert code != "INTERNAL_SERVER_ERROR", f"{error} {case}"
        assert not any(leak in error["message"] for leak in LEAKS), f"{error} {case}"
    return body


@dataclass(frozen=True)
class Known:
    """IDs of rows the fuzzed database holds, so that some operations reach real data."""

    ids: tuple[str, ...]
    now: datetime


def global_id(type_name: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode().rstrip("=")


def forged_cursor(*items: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(items))).decode().rstrip("=")


ROW = "0190a7c4-6b5e-7a11-9c3d-1f2e3d4c5b6a"
HOSTILE_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 200,
    "x" * 201,
    "x" * 2001,
    "é" * 5001,
    "y" * 10_001,
    "%_\\",
    "'; DROP TABLE appointments; --",
    "ÉLISE@X.ZZ",
    "ana@x.zz\n",
    "+5511999999999\n",
    "\u202e\ufeff\ud7ff",
    "🙂" * 50,
    "Europe/Lisbon",
    "Not/AZone",
    "../../etc/passwd",
    "${jndi:ldap://x}",
)
HOSTILE_CURSORS = (
    forged_cursor("appointments:SCHEDULED_AT:ASC", "2030-01-01T00:00:00+00:00", 5),
    forged_cursor("appointments:SCHEDULED_AT:ASC", "9999-12-31T23:59:59+00:00", ROW),
    forged_cursor("appointments:SCHEDULED_AT:ASC", "0001-01-01T00:00:00-14:00", ROW),
    forged_cursor("appointments:CREATED_AT:DESC", [1], {"a": None}),
    forged_cursor("psychologists:NAME:ASC", "x\x00", ROW),
    forged_cursor("psychologists:NAME:ASC", 7, [ROW]),
    forged_cursor("psychologists:NEXT_AVAILABLE:ASC", "9999-12-31T23:59:59Z", ROW),
    base64.urlsafe_b64encode(b"event:" + b"9" * 20).decode(),
    base64.urlsafe_b64encode(b"event:-1").decode(),
    base64.urlsafe_b64encode(b"event:12").decode(),
    "%%%",
    "",
    "\x00",
)
HOSTILE_INTS = (0, -1, 1, 5, 15, 50, 100, 101, 240, 241, 2**31 - 1, -(2**31), 2**31)
HOSTILE_DATES = (
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0002-01-01T00:00:00Z",
    "9998-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "2030-03-04T12:00:00",
    "next tuesday",
    "2030-02-30T10:00:00Z",
    "2030-03-11T10:00:00.123456789Z",
)


class Generator:
    """Random operations over the schema's root fields, with hostile arguments."""

    def __init__(self, schema: GraphQLSchema, known: Known, rng: random.Random) -> None:
        self.schema = schema
        self.known = known
        self.rng = rng
        roots = [t for t in (schema.query_type, schema.mutation_type) if t is not None]
        self.hostility = 1.0
        self.fields = [(root, name, field) for root in roots for name, field in root.fields.items()]

    def operations(self, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
        for _ in range(count):
            root, name, field = self.rng.choice(self.fields)
            # Some operations are mostly plausible, to get past the first check and reach
            # deeper code with one hostile value; others are hostile throughout.
            self.hostility = self.rng.choice((0.05, 0.2, 0.5, 1.0))
            yield self.operation(root, name, field)

    def operation(
        self, root: GraphQLObjectType, name: str, field: GraphQLField
    ) -> tuple[str, dict[str, Any]]:
        declared: list[str] = []
        variables: dict[str, Any] = {}
        selected = self.field(name, field, 3, declared, variables)
        kind = "mutation" if root is self.schema.mutation_type else "query"
        head = f"{kind}({', '.join(declared)})" if declared else kind
        return f"{head} {{ {selected} }}", variables

    def field(
        self,
        name: str,
        field: GraphQLField,
        depth: int,
        declared: list[str],
        variables: dict[str, Any],
    ) -> str:
        """``name(arguments) { selection }``, its arguments passed as new variables."""
        passed = []
        for argument, definition in field.args.items():
            if not self._wanted(definition):
                continue
            variable = f"v{len(declared)}"
            declared.append(f"${variable}: {definition.type}")
            passed.append(f"{argument}: ${variable}")
            variables[variable] = self.value(definition.type, argument)
        arguments = f"({', '.join(passed)})" if passed else ""
        return f"{name}{arguments}{self.selection(field.type, depth, declared, variables)}"

    def selection(
        self, type_: Any, depth: int, declared: list[str], variables: dict[str, Any]
    ) -> str:
        named = get_named_type(type_)
        if is_leaf_type(named):
            return ""
        if isinstance(named, GraphQLUnionType | GraphQLInterfaceType) or depth == 0:
            return " { __typename }"
        assert isinstance(named, GraphQLObjectType)
        picked = []
        for name, field in named.fields.items():
            inner = get_named_type(field.type)
            if is_leaf_type(inner) and not field.args:
                picked.append(name)
            elif self.rng.random() < 0.4:
                picked.append(self.field(name, field, depth - 1, declared, variables))
        return " { " + " ".join(picked or ["__typename"]) + " }"

    def _wanted(self, definition: GraphQLArgument) -> bool:
        return isinstance(definition.type, GraphQLNonNull) or self.rng.random() < 0.6

    def value(self, type_: GraphQLInputType, name: str) -> Any:
        rng = self.rng
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, name)
        if rng.random() < 0.03:
            return None
        if isinstance(type_, GraphQLList):
            size = (
                rng.choice((0, 1, 2, 3, 3, 101, 150)) if rng.random() < 0.2 else rng.randint(0, 3)
            )
            return [self.value(type_.of_type, name) for _ in range(size)]
        if isinstance(type_, GraphQLInputObjectType):
            return {
                key: self.value(field.type, key)
                for key, field in type_.fields.items()
                if isinstance(field.type, GraphQLNonNull) or rng.random() < 0.5
            }
        if isinstance(type_, GraphQLEnumType):
            return rng.choice(list(type_.values))
        assert isinstance(type_, GraphQLScalarType)
        return self.scalar(type_.name, name)

    def scalar(self, type_name: str, name: str) -> Any:
        if self.rng.random() >= self.hostility:
            return self.plausible(type_name, name)
        return self.hostile(type_name, name)

    def plausible(self, type_name: str, name: str) -> Any:
        rng = self.rng
        if type_name == "ID":
            return rng.choice(self.known.ids)
        if type_name == "DateTime":
            days, hour = rng.randint(-3, 40), rng.randint(0, 23)
            moment = self.known.now.replace(hour=hour, minute=0) + timedelta(days=days)
            return moment.isoformat()
        if type_name == "Int":
            return rng.choice((1, 10, 15, 30, 50, 60))
        if type_name == "Date":
            return (self.known.now + timedelta(days=rng.randint(0, 30))).date().isoformat()
        if type_name == "Time":
            return rng.choice(("09:00", "12:30", "17:00"))
        if type_name == "Decimal":
            return "150.00"
        if type_name == "Boolean":
            return rng.random() < 0.5
        if type_name in ("Float", "JSON"):
            return 1
        lowered = name.lower()
        if "email" in lowered:
            return f"fuzz{rng.randint(0, 99)}@x.zz"
        if "phone" in lowered:
            return "+5511999990000"
        if "zone" in lowered:
            return rng.choice(("Europe/Lisbon", "America/Sao_Paulo", "UTC"))
        if name in ("after", "before"):
            return rng.choice(HOSTILE_CURSORS)
        return rng.choice(("Ana", "anxiety", "pt", "fuzz", "key-1", "plans changed"))

    def hostile(self, type_name: str, name: str) -> Any:
        rng = self.rng
        if name in ("after", "before") or "cursor" in name.lower():
            return rng.choice(HOSTILE_CURSORS)
        if type_name == "ID":
            return rng.choice(
                (
                    *self.known.ids,
                    *self.known.ids,
                    global_id("Appointment", ROW),
                    global_id("Nothing", ROW),
                    global_id("Patient", "not-a-uuid"),
                    *HOSTILE_TEXT[:4],
                    "UGF0aWVudDo",
                )
            )
        if type_name == "DateTime":
            if rng.random() < 0.5:
                return rng.choice(HOSTILE_DATES)
            moment = self.known.now + timedelta(minutes=rng.randint(-60 * 24 * 400, 60 * 24 * 400))
            return moment.replace(second=0, microsecond=0).isoformat()
        if type_name == "Date":
            return rng.choice(("0001-01-01", "9999-12-31", "2030-03-10", "2030-13-01", "x"))
        if type_name == "Time":
            return rng.choice(("00:00", "09:00", "23:59", "24:00", "12:00:00.5", "x"))
        if type_name == "Decimal":
            return rng.choice(("0", "-1", "150.00", "1e400", "NaN", "Infinity", "9" * 40, "x"))
        if type_name == "Int":
            return rng.choice(HOSTILE_INTS)
        if type_name == "Float":
            return rng.choice((0.0, -1.5, 1e308))
        if type_name == "Boolean":
            return rng.random() < 0.5
        if type_name == "JSON":
            return rng.choice(({"a": [1, None]}, "x", 1, None, [[[[]]]]))
        return rng.choice(HOSTILE_TEXT)


def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())
