"""The Relay ``Node`` interface and the page info of every connection."""

import strawberry


@strawberry.interface(
    name="Node", description="Relay object identification: every entity has an opaque, global ID."
)
class Node:
    id: strawberry.ID


@strawberry.type(name="PageInfo")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
