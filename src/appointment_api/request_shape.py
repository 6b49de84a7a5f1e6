"""What a GraphQL request over HTTP must look like before anything reads it: a JSON object
(or, for a batch, an array of them, which the edge then refuses) whose members have the
types the GraphQL-over-HTTP spec gives them. Anything else is the client's mistake, told
as such (400), never a crash."""

BODY_NOT_AN_OBJECT = (
    'The request body must be a JSON object such as {"query": "...", "variables": {...}}.'
)


def body_problem(body: object) -> str | None:
    """Why ``body`` (decoded JSON) is not a GraphQL request, or None."""
    if isinstance(body, list):
        for item in body:
            if not isinstance(item, dict):
                return BODY_NOT_AN_OBJECT
            if (problem := _member_problem(item)) is not None:
                return problem
        return None
    if not isinstance(body, dict):
        return BODY_NOT_AN_OBJECT
    return _member_problem(body)


def _member_problem(request: dict[str, object]) -> str | None:
    name = request.get("operationName")
    if name is not None and not isinstance(name, str):
        return "The GraphQL operation's `operationName` must be a string or null, if provided."
    return None
