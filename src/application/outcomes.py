"""What a use case answers its caller: the appointment, or the problems the caller can fix.
Expected failures are data, not exceptions."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.appointments import Appointment
from domain.requests import InputProblem

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """``code`` is one of the contract's user error codes; ``path`` is relative to the input."""

    code: str
    path: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    appointment: Appointment | None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def refused(cls, *problems: Problem) -> "Outcome":
        return cls(None, problems)


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """What a practice use case changed (``value``), or why it changed nothing."""

    value: T | None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def refused(cls, *problems: Problem) -> "Answer[T]":
        return cls(None, problems)


def problems_of(found: Sequence[InputProblem], code: str = "INVALID_INPUT") -> tuple[Problem, ...]:
    return tuple(Problem(code, problem.path, problem.message) for problem in found)
