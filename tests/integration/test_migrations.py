"""The Alembic history builds exactly the schema the code describes, and unwinds."""

from alembic import command

from infra.db.migrate import alembic_config, upgrade_to_head
from support.processes import in_thread


def test_migrations_build_the_schema_the_tables_describe(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    in_thread(lambda: upgrade_to_head(empty_database_url))
    in_thread(lambda: command.check(config))


def test_migrations_downgrade_to_nothing_and_upgrade_again(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    in_thread(lambda: upgrade_to_head(empty_database_url))
    in_thread(lambda: command.downgrade(config, "base"))
    in_thread(lambda: upgrade_to_head(empty_database_url))
    in_thread(lambda: command.check(config))
