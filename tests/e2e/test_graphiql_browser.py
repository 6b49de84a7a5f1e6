"""GraphiQL in a real browser, with every request that leaves the machine refused."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)

from domain.people import Psychologist
from support.processes import run_coroutine
from world import world_in

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
PSYCHOLOGISTS_QUERY = """query($name: String) {
  psychologists(first: 3, filter: {nameContains: $name}) { edges { node { name timeZone } } }
}"""
RESULT_TIMEOUT_MS = 15_000


class LiveApi(Protocol):
    """What these tests use of the `live_api` fixture (conftest.py)."""

    base_url: str

    @property
    def database_url(self) -> str: ...

    def token(self, role: str, sub: str) -> str: ...


class GraphiQL:
    """The GraphiQL page, used the way a person would: editors, then the run button."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.outside_requests: list[str] = []
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("console", self._on_console)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.locator(".graphiql-query-editor .CodeMirror").wait_for()

    def set_headers(self, headers: dict[str, str]) -> None:
        self.page.get_by_role("button", name="Headers", exact=True).click()
        self._type_into(
            self.page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)"),
            json.dumps(headers),
        )

    def set_query(self, query: str) -> None:
        self._type_into(self.page.locator(".graphiql-query-editor"), query)
        # GraphiQL reads an edited document (and its operation name) after a short pause,
        # then the page writes it into its URL: from then on the run button sends it.
        self.page.wait_for_function(
            "query => new URLSearchParams(location.search).get('q') === query", arg=query
        )

    def set_variables(self, variables: dict[str, Any]) -> None:
        self.page.get_by_role("button", name="Variables", exact=True).click()
        self._type_into(
            self.page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)"),
            json.dumps(variables),
        )

    def run(self) -> None:
        self.page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

    @property
    def result_pane(self) -> Locator:
        return self.page.locator(".graphiql-response")

    def result(self) -> Any:
        """The result pane's whole text (CodeMirror draws only the visible lines), parsed."""
        text = self.result_pane.locator(".CodeMirror").evaluate(
            "node => node.CodeMirror.getValue()"
        )
        return json.loads(text)

    def _type_into(self, editor: Locator, text: str) -> None:
        editor.locator(".CodeMirror").click()
        self.page.keyboard.press("Control+A")
        # Inserted as input, not key by key, so the editor's auto-closing brackets stay out.
        self.page.keyboard.insert_text(text)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "integrity" in message.text:
            self.problems.append(f"console: {message.text}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (Debian package chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def graphiql(browser: Browser, live_api: LiveApi) -> Iterator[GraphiQL]:
    context = browser.new_context()
    page = context.new_page()
    graphiql = GraphiQL(page)

    def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            graphiql.outside_requests.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_this_machine)
    graphiql.open(f"{live_api.base_url}/graphql")
    yield graphiql
    context.close()


async def _new_psychologist(database_url: str) -> Psychologist:
    # The server runs on the wall clock: so does the data.
    async with world_in(database_url, now=datetime.now(UTC)) as world:
        return await world.psychologist(name=f"Dr. Browser {uuid.uuid4().hex[:8]}")


def test_in_development_the_page_opens_ready_and_the_first_click_returns_data(
    graphiql: GraphiQL, tmp_path: Path
) -> None:
    graphiql.run()

    expect(graphiql.result_pane).to_contain_text('"startsAt"', timeout=RESULT_TIMEOUT_MS)
    graphiql.page.screenshot(path=tmp_path / "graphiql-first-click.png")
    result = graphiql.result()
    assert "errors" not in result, result
    assert result["data"]["psychologist"]["name"], result
    assert result["data"]["psychologist"]["availableSlots"], result
    assert graphiql.outside_requests == []
    assert graphiql.problems == []


def test_an_admin_runs_a_query_and_sees_psychologists(
    live_api: LiveApi, graphiql: GraphiQL, tmp_path: Path
) -> None:
    psychologist = run_coroutine(lambda: _new_psychologist(live_api.database_url))
    graphiql.set_headers({"Authorization": f"Bearer {live_api.token('admin', 'admin-e2e')}"})
    graphiql.set_query(PSYCHOLOGISTS_QUERY)
    graphiql.set_variables({"name": psychologist.name})

    graphiql.run()

    expect(graphiql.result_pane).to_contain_text('"timeZone"', timeout=RESULT_TIMEOUT_MS)
    graphiql.page.screenshot(path=tmp_path / "graphiql-admin.png")
    result = graphiql.result()
    assert "errors" not in result
    nodes = [edge["node"] for edge in result["data"]["psychologists"]["edges"]]
    assert nodes == [{"name": psychologist.name, "timeZone": psychologist.time_zone}], result
    assert graphiql.outside_requests == []
    assert graphiql.problems == []


def test_without_a_token_the_result_says_unauthenticated(
    graphiql: GraphiQL, tmp_path: Path
) -> None:
    graphiql.set_headers({})
    graphiql.set_query(PSYCHOLOGISTS_QUERY)

    graphiql.run()

    expect(graphiql.result_pane).to_contain_text("UNAUTHENTICATED", timeout=RESULT_TIMEOUT_MS)
    graphiql.page.screenshot(path=tmp_path / "graphiql-anonymous.png")
    assert graphiql.outside_requests == []
    assert graphiql.problems == []
