"""The real graphql-ws npm client, installed on first use into .tools/js-client (outside git,
like the GraphiQL assets), with the subscribe script of tests/e2e/js beside it."""

import fcntl
import shutil
import subprocess
from pathlib import Path

from support.processes import ServiceError

PACKAGES = ("graphql-ws@6.4.2", "ws@8.23.0", "graphql@16.15.0")
INSTALL_DIR = Path(__file__).resolve().parents[2] / ".tools" / "js-client"
SCRIPT = Path(__file__).parent / "js" / "subscribe.mjs"
NPM_TIMEOUT_SECONDS = 300


def js_subscribe_script() -> Path:
    """The script, next to a node_modules holding exactly PACKAGES."""
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    stamp = INSTALL_DIR / ".installed"
    wanted = "\n".join(PACKAGES)
    # Several test runs may start at once: one installs, the others wait for it.
    with (INSTALL_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != wanted:
            _npm_install()
            stamp.write_text(wanted)
        target = INSTALL_DIR / SCRIPT.name
        shutil.copyfile(SCRIPT, target)
    return target


def _npm_install() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ServiceError("npm not found: run scripts/ensure-system-packages.sh node")
    command = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix"]
    result = subprocess.run(
        [*command, str(INSTALL_DIR), *PACKAGES],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceError(f"npm install {' '.join(PACKAGES)} failed:\n{result.stderr[-2000:]}")
