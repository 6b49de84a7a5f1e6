"""GraphiQL in a real browser runs a subscription: the websocket URL comes from the page,
the token from the Headers editor (sent as the connection_init payload)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect, sync_playwright

from support.processes import run_coroutine
from world import node_id, world_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULT_TIMEOUT_MS = 15_000
SUBSCRIPTION = "subscription($id: ID!) { appointmentStatus(appointmentId: $id) { status version } }"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def graphql(base_url: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _pending(database_url: str) -> str:
    """A PENDING appointment of this test's own, never queued: it stays PENDING."""
    # The server runs on the wall clock: so does the data.
    async with world_in(database_url, now=datetime.now(UTC)) as world:
        psychologist, patient = await world.psychologist(), await world.patient()
        return node_id(await world.appointment(psychologist, patient))


def test_graphiql_runs_a_subscription_with_the_token_from_the_headers_pane(
    browser: Browser, live_api: Any
) -> None:
    token = live_api.token("admin", "admin-e2e")
    pending = run_coroutine(lambda: _pending(live_api.database_url))

    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    # The page takes its editors' contents from the URL, as when a link is shared.
    editors = {
        "q": SUBSCRIPTION,
        "variables": json.dumps({"id": pending}),
        "headers": json.dumps({"Authorization": f"Bearer {token}"}),
    }
    try:
        page.goto(f"{live_api.base_url}/graphql?{urlencode(editors, quote_via=quote)}")
        page.locator(".graphiql-query-editor .CodeMirror").wait_for()
        page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

        result = page.locator(".graphiql-response")
        expect(result).to_contain_text('"PENDING"', timeout=RESULT_TIMEOUT_MS)
        cancelled = graphql(
            live_api.base_url,
            token,
            "mutation($id: ID!) { cancelAppointment(input: {appointmentId: $id}) "
            "{ appointment { status } } }",
            id=pending,
        )
        assert cancelled["cancelAppointment"]["appointment"]["status"] == "CANCELLED"
        expect(result).to_contain_text('"CANCELLED"', timeout=RESULT_TIMEOUT_MS)
    finally:
        context.close()
    assert problems == []
