"""What the mutations share to read their input: ids, ranges of hours, the viewer, and
problems found on the way, answered as ``userErrors``."""

from collections.abc import Sequence
from uuid import UUID

import strawberry
from strawberry.types import Info

from application.outcomes import Problem
from domain.schedule import WorkingHours
from domain.viewer import Viewer
from resolvers.context import Context
from resolvers.errors import ClientError
from resolvers.node_ids import expect_global_id
from resolvers.types.mutation_types import UserError
from resolvers.types.practice_inputs import WorkingHoursInput, hours_of


class BadInput(Exception):
    """Input that cannot even be read: answered with this problem, nothing called."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def parse_id(value: strawberry.ID, type_name: str, field: str) -> UUID:
    try:
        return expect_global_id(value, type_name, argument=field)
    except ClientError as error:
        raise BadInput(Problem("INVALID_INPUT", (field,), error.message)) from None


def user_errors(problems: Sequence[Problem]) -> list[UserError]:
    return [UserError.from_problem(problem, ("input",)) for problem in problems]


def who(info: Info[Context, None]) -> tuple[Viewer, str]:
    return info.context.require_viewer(), info.context.request_id


def parse_hours(ranges: list[WorkingHoursInput], field: str = "hours") -> tuple[WorkingHours, ...]:
    parsed = hours_of(ranges)
    if isinstance(parsed, int):
        raise BadInput(
            Problem("INVALID_INPUT", (field, str(parsed)), "The range must end after it starts.")
        )
    return parsed
