import asyncio

from appointment_api.readiness import check_readiness


async def fine() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("127.0.0.1:6379")


async def hangs() -> None:
    await asyncio.Event().wait()


async def test_ready_when_every_dependency_answers() -> None:
    readiness = await check_readiness({"database": fine, "redis": fine})

    assert readiness.ready
    assert readiness.as_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok"},
    }


async def test_each_failing_or_silent_dependency_is_named_without_its_error() -> None:
    readiness = await check_readiness(
        {"database": fine, "redis": refused, "sqs": hangs}, seconds_each=0.05
    )

    assert not readiness.ready
    assert readiness.as_json() == {
        "status": "not ready",
        "checks": {"database": "ok", "redis": "down", "sqs": "down"},
    }
