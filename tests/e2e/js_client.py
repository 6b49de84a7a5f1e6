"""The npm packages the tests drive (tests/js/package.json, pinned by its lock file),
installed into .tools/js/ (outside git, like the GraphiQL assets) by
scripts/install-js-packages.sh, which `make test` runs first; a test run on its own
installs them on first use. The scripts of tests/js/ are copied beside them."""

import subprocess
from pathlib import Path

from support.processes import ServiceError

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "scripts" / "install-js-packages.sh"
INSTALL_DIR = ROOT / ".tools" / "js"
SOURCES = ROOT / "tests" / "js"
NPM_TIMEOUT_SECONDS = 300


def js_script(name: str) -> Path:
    """`tests/js/<name>`, runnable: next to a node_modules holding exactly the lock file's
    packages."""
    result = subprocess.run(
        [str(INSTALL_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceError(f"{INSTALL_SCRIPT.name} failed:\n{result.stderr[-2000:]}")
    return INSTALL_DIR / name


def js_subscribe_script() -> Path:
    """The graphql-ws client's subscribe script (tests/js/subscribe.mjs)."""
    return js_script("subscribe.mjs")
