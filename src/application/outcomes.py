"""What a use case answers its caller: the appointment, or the problems the caller can fix.
Expected failures are data, not exceptions."""

from dataclasses import dataclass

from domain.appointments import Appointment


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
