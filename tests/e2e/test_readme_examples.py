"""Every GraphQL example of the README, run as printed against `appointment-api dev` (what
`make run` starts) with the token and the variables it prints, as a newcomer would."""

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.config import Settings
from support.processes import free_port, wait_until

README = Path(__file__).resolve().parents[2] / "README.md"
CLI = Path(sys.executable).with_name("appointment-api")
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
TOKEN_LINES = re.compile(r"^\s+(?:admin|patient|psychologist)\s+(\S+)\s+(eyJ\S+)$", re.MULTILINE)
# An example that needs another viewer than the demo patient says so on its first line.
VIEWER_LINE = re.compile(r"^# As ([\w-]+):")
DEFAULT_VIEWER = "patient-1"
VARIABLES_LINE = re.compile(r"^The README's examples take these variables.*\n\s+(\{.*\})$", re.M)


@dataclass(frozen=True)
class Dev:
    base_url: str
    tokens: dict[str, str]
    variables: dict[str, str]


def _printed(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    """`appointment-api dev` in an empty folder, with nothing of the shell's settings."""
    workdir = tmp_path_factory.mktemp("readme")
    port = free_port()
    app_variables = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in app_variables}
    env.update(PORT=str(port), PYTHONUNBUFFERED="1")
    log = workdir / "dev.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(CLI), "dev"], env=env, cwd=workdir, stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def alive() -> None:
        assert server.poll() is None, _printed(log)

    try:
        wait_until(healthy, what="appointment-api dev", still_alive=alive, timeout=90)
        printed = _printed(log)
        tokens = dict(TOKEN_LINES.findall(printed))
        [variables] = VARIABLES_LINE.findall(printed)
        yield Dev(base_url, tokens, json.loads(variables))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


# Fields of the JSON scalar: free-form values, where an empty list is an answer.
JSON_FIELDS = {"details"}


def lists_in(value: Any, path: str = "data") -> Iterator[tuple[str, list[Any]]]:
    """Every list in an answer's GraphQL fields, with where it is."""
    if path.rsplit(".", 1)[-1] in JSON_FIELDS:
        return
    if isinstance(value, list):
        yield path, value
        for index, item in enumerate(value):
            yield from lists_in(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from lists_in(item, f"{path}.{key}")


def test_the_readme_has_the_examples_this_test_runs() -> None:
    assert len(EXAMPLES) >= 4
    assert any("mutation" in example for example in EXAMPLES)


def test_dev_prints_variables_every_example_needs(dev: Dev) -> None:
    declared = {name for example in EXAMPLES for name in re.findall(r"\$(\w+):", example)}
    optional = {"after"}
    assert declared - optional <= set(dev.variables)


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[e.splitlines()[0].lstrip("# ")[:40] for e in EXAMPLES]
)
def test_the_example_answers_with_data_and_no_error(dev: Dev, example: str) -> None:
    named = VIEWER_LINE.match(example)
    token = dev.tokens[named.group(1) if named else DEFAULT_VIEWER]
    response = httpx.post(
        f"{dev.base_url}/graphql",
        json={"query": example, "variables": dev.variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"], body
    for where, found in lists_in(body["data"]):
        if where.endswith("userErrors"):
            assert found == [], body
        else:
            assert found, f"{where} is empty: {body}"
