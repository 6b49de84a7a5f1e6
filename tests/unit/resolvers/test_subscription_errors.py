"""What a subscription tells the client when something unexpected fails: nothing internal."""

from typing import Any, cast
from uuid import UUID, uuid4

from domain.appointments import StatusEvent
from domain.viewer import Role, Viewer
from infra.pubsub.memory_pubsub import InMemoryEventStream
from resolvers.context import Context, Services
from resolvers.node_ids import to_global_id
from resolvers.schema import build_schema

UNUSED: Any = None


class BrokenHistory:
    """An EventHistory whose database fails with a message that must not leak."""

    async def latest(self, viewer: Viewer, appointment_id: UUID) -> StatusEvent | None:
        raise RuntimeError("SELECT * FROM appointment_events -- connection refused")

    async def after(
        self, viewer: Viewer, sequence: int, *, psychologist_id: UUID | None, limit: int
    ) -> list[StatusEvent]:
        raise RuntimeError("SELECT * FROM appointment_events -- connection refused")


def services() -> Services:
    return Services(
        appointments=UNUSED,
        people=UNUSED,
        authenticator=UNUSED,
        clock=UNUSED,
        policy=UNUSED,
        use_cases=UNUSED,
        event_stream=InMemoryEventStream(),
        event_history=BrokenHistory(),
        calendars=UNUSED,
        free_slots=UNUSED,
        lifecycle=UNUSED,
    )


async def test_an_unexpected_failure_is_masked_with_a_request_id() -> None:
    context = Context(
        request=None,
        response=None,
        services=services(),
        viewer=Viewer("admin-1", Role.ADMIN),
        request_id="req-42",
    )
    stream = await build_schema().subscribe(
        "subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status } }",
        variable_values={"id": to_global_id("Appointment", uuid4())},
        context_value=context,
    )
    results = [result async for result in cast(Any, stream)]

    [result] = results
    [error] = result.errors
    assert error.message == "Internal server error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
