"""The GraphQL-over-HTTP spec, as its reference implementation audits it: graphql-http's
`auditServer` (npm) against the served app. Every MUST and every SHOULD holds."""

import asyncio
import json
from collections import Counter
from typing import Any

from js_client import js_script

from graphql_client import running_api

AUDIT_TIMEOUT_SECONDS = 120


async def audit(url: str) -> list[dict[str, Any]]:
    script = js_script("audit.mjs")
    node = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        url,
        cwd=script.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(AUDIT_TIMEOUT_SECONDS):
        out, err = await node.communicate()
    assert node.returncode == 0, err.decode()
    results: list[dict[str, Any]] = json.loads(out)
    return results


def figures(results: list[dict[str, Any]]) -> dict[str, str]:
    """By level: "passed/audited"."""
    audited = Counter(result["name"].split()[0] for result in results)
    passed = Counter(result["name"].split()[0] for result in results if result["status"] == "ok")
    return {level: f"{passed[level]}/{count}" for level, count in sorted(audited.items())}


async def test_the_served_api_passes_every_must_and_should_of_graphql_http_audit(
    database_url: str,
) -> None:
    async with running_api(database_url, listen=True) as api:
        assert api.server is not None
        results = await audit(f"http://{api.server.address}/graphql")

    print("graphql-http audit:", figures(results))
    missed = [
        result
        for result in results
        if result["status"] != "ok" and result["name"].startswith(("MUST", "SHOULD"))
    ]
    assert missed == []
    assert len(results) > 40
