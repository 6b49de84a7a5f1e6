"""A pooled connection the server closed is replaced, not handed out."""

import asyncio

from sqlalchemy import text

from infra.db.engine import create_engine


async def test_a_query_after_the_server_ended_the_pooled_connection_succeeds(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1)
    other = create_engine(database_url, pool_size=1)
    ended = asyncio.Event()
    try:
        async with engine.connect() as connection:
            mine = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            raw = await connection.get_raw_connection()
            raw.driver_connection.add_termination_listener(lambda *_: ended.set())
        async with other.connect() as connection:
            terminated = await connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": mine}
            )
            assert terminated.scalar_one() is True
        # The client knows once its event loop has read the server's goodbye.
        await asyncio.wait_for(ended.wait(), 5)

        async with engine.connect() as connection:
            again = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        assert again != mine
    finally:
        await engine.dispose()
        await other.dispose()
