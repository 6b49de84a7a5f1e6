"""Markers by folder, and the real services the integration and e2e tests use.

The services start on first use only (running tests/unit starts none), on free
ports of 127.0.0.1, and stop at the end of the session:

- PostgreSQL: a private throwaway cluster, or the server that
  TEST_DATABASE_ADMIN_URL names (e.g. postgresql://postgres@127.0.0.1:5432/postgres);
  each test gets its own database, copied from one migrated template.
- Redis and moto's SQS server: child processes that tests may stop and start
  again on the same port (`redis_server.stopped()`, `sqs_server.restart()`).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres import PostgresAdmin, PostgresCluster
from support.processes import in_thread
from support.services import DUMMY_AWS_CREDENTIALS, RedisServer, SqsServer

TESTS_DIR = Path(__file__).parent
MARKERS_BY_FOLDER = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}
TEMPLATE_DATABASE = "appointments_template"


def pytest_configure(config: pytest.Config) -> None:
    # Whatever the developer's shell holds, no test may reach real AWS.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    for name, value in DUMMY_AWS_CREDENTIALS.items():
        os.environ[name.upper()] = value


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            folder = item.path.relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = MARKERS_BY_FOLDER.get(folder)
        if marker is not None:
            item.add_marker(marker)


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """libpq URL of a superuser session: postgresql://postgres@127.0.0.1:PORT/postgres."""
    external = os.environ.get("TEST_DATABASE_ADMIN_URL")
    if external:
        yield external
        return
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_admin(postgres_admin_url: str) -> PostgresAdmin:
    return PostgresAdmin(postgres_admin_url)


@pytest.fixture(scope="session")
def migrated_template(postgres_admin: PostgresAdmin) -> Iterator[str]:
    """Name of a database migrated to head, sealed as a template to copy per test."""
    from infra.db.migrate import upgrade_to_head

    postgres_admin.drop_database(TEMPLATE_DATABASE)  # left over on a shared server
    postgres_admin.create_database(TEMPLATE_DATABASE)
    try:
        # Alembic runs its own event loop: keep it off pytest-asyncio's thread.
        in_thread(lambda: upgrade_to_head(postgres_admin.url(TEMPLATE_DATABASE)))
        postgres_admin.seal_template(TEMPLATE_DATABASE)
        yield TEMPLATE_DATABASE
    finally:
        postgres_admin.drop_database(TEMPLATE_DATABASE)


@pytest.fixture
def database_url(postgres_admin: PostgresAdmin, migrated_template: str) -> Iterator[str]:
    """postgresql+asyncpg:// URL of a fresh, migrated database of this test's own."""
    name = PostgresAdmin.random_name("test")
    postgres_admin.create_database(name, template=migrated_template)
    try:
        yield postgres_admin.url(name)
    finally:
        postgres_admin.drop_database(name)


@pytest.fixture
def empty_database_url(postgres_admin: PostgresAdmin) -> Iterator[str]:
    """postgresql+asyncpg:// URL of a fresh database with no schema (for migration tests)."""
    name = PostgresAdmin.random_name("test_empty")
    postgres_admin.create_database(name)
    try:
        yield postgres_admin.url(name)
    finally:
        postgres_admin.drop_database(name)


# --- Redis and SQS ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """redis://127.0.0.1:PORT/0; the same for the whole session, restarts included."""
    return redis_server.url


@pytest.fixture(scope="session")
def sqs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqsServer]:
    server = SqsServer(tmp_path_factory.mktemp("sqs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqs_endpoint_url(sqs_server: SqsServer) -> str:
    """http://127.0.0.1:PORT of moto's SQS; the same for the whole session, restarts included."""
    return sqs_server.endpoint_url
