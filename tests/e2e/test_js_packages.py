"""The npm packages the tests drive run on the Node.js that `make test` installs on a fresh
Debian 12 (its `nodejs` package, 18.19), whatever newer Node.js this machine has."""

import json
import subprocess

from js_client import SOURCES, js_script

DEBIAN_12_NODE = "18.19.0"
LOCK = SOURCES / "package-lock.json"


def refused_by(version: str) -> tuple[int, list[str]]:
    """The packages of the lock file whose `engines.node` refuses `version`."""
    result = subprocess.run(
        ["node", str(js_script("check-engines.mjs")), str(LOCK), version],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    refused: list[str] = json.loads(result.stdout)
    return result.returncode, refused


def test_every_locked_package_accepts_debian_12s_node() -> None:
    assert refused_by(DEBIAN_12_NODE) == (0, [])


def test_the_check_refuses_a_node_too_old_for_the_project() -> None:
    code, refused = refused_by("16.20.0")
    assert code == 1
    assert "(the project) wants node >=18" in refused


def test_the_dependencies_are_pinned_to_exact_versions() -> None:
    manifest = json.loads((SOURCES / "package.json").read_text())
    lock = json.loads(LOCK.read_text())
    for name, wanted in manifest["dependencies"].items():
        assert wanted[0].isdigit(), f"{name}@{wanted}: pin an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == wanted
