"""Each operation of a websocket connection runs on its own copy of the connection's context."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from domain.viewer import Role, Viewer
from resolvers.context import Context, Services
from resolvers.errors import ClientError

NO_SERVICES = cast(Services, object())


def connection(viewer: Viewer | None) -> Context:
    return Context(
        request=None, response=None, services=NO_SERVICES, viewer=viewer, per_connection=True
    )


def test_an_operation_gets_a_copy_with_the_viewer_and_nothing_loaded() -> None:
    viewer = Viewer("patient-1", Role.PATIENT, expires_at=datetime.now(UTC) + timedelta(hours=1))
    shared = connection(viewer)
    shared._loaders = cast(Any, "loaded for an earlier operation")

    operation = shared.for_operation()

    assert operation is not shared
    assert operation.viewer == viewer
    assert operation._loaders is None
    assert not operation.per_connection
    assert shared._loaders is not None  # the connection's own context is left alone


def test_once_the_token_has_expired_operations_run_without_a_viewer() -> None:
    viewer = Viewer("patient-1", Role.PATIENT, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    operation = connection(viewer).for_operation()

    assert operation.viewer is None
    with pytest.raises(ClientError) as refused:
        operation.require_viewer()
    assert refused.value.extensions == {"code": "UNAUTHENTICATED"}
    assert "expired" in refused.value.message


def test_a_token_without_expiry_keeps_its_viewer() -> None:
    viewer = Viewer("admin-1", Role.ADMIN)
    assert connection(viewer).for_operation().viewer == viewer


def test_forgetting_what_was_loaded_starts_over() -> None:
    context = connection(Viewer("admin-1", Role.ADMIN)).for_operation()
    context._loaders = cast(Any, "loaded for the last event")
    context.forget_loaded()
    assert context._loaders is None
