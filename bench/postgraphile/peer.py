"""Installing and starting PostGraphile, and its forms of Q1, Q2 and Q3.

PostGraphile names things after the tables: ``allAppointments``, the relations
``patientByPatientId`` and ``psychologistByPsychologistId``, the raw uuid as ``id``,
its own cursors. Its answers cannot equal the API's byte for byte, so the run checks
they hold the same rows in the same order (ids, and the names of the people).
"""

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson

from bench.errors import BenchError
from bench.servers import base_env
from support.launcher import Api, Deployment
from support.processes import free_port

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent.parent / ".tools" / "postgraphile"
MANIFESTS = ("package.json", "package-lock.json")

NODE = (
    "id scheduledAt status appointmentType "
    "patientByPatientId { name email } psychologistByPsychologistId { name }"
)
SELECTION = f"edges {{ node {{ {NODE} }} }} pageInfo {{ endCursor hasNextPage }}"
ORDER = "orderBy: [SCHEDULED_AT_ASC, ID_ASC]"
PAGE_QUERY = (
    "query Page($after: Cursor) { "
    f"allAppointments({ORDER}, first: 20, after: $after) {{ {SELECTION} }} }}"
)
SCHEDULE_QUERY = (
    "query Schedule($psychologist: UUID!, $from: Datetime!, $to: Datetime!) { "
    f"allAppointments({ORDER}, first: 20, filter: {{"
    'psychologistId: {equalTo: $psychologist}, status: {in: ["CONFIRMED", "PENDING"]}, '
    "scheduledAt: {greaterThanOrEqualTo: $from, lessThan: $to}}) "
    f"{{ {SELECTION} }} }}"
)
# The cursor of the row at an offset: Q2 then pages after it by that cursor, as a client would.
CURSOR_QUERY = (
    f"query At($offset: Int!) {{ allAppointments({ORDER}, first: 1, offset: $offset) "
    "{ edges { cursor node { id } } } }"
)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def ensure_installed() -> Path:
    """``.tools/postgraphile`` with the locked packages; ``npm ci`` when the lock changed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BenchError("node and npm are needed for PostGraphile: apt-get install nodejs npm")
    stamp = TOOLS / ".installed"
    fingerprint = _fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return TOOLS
    print("installing PostGraphile into .tools/postgraphile (npm ci)", flush=True)
    TOOLS.mkdir(parents=True, exist_ok=True)
    for name in MANIFESTS:
        shutil.copyfile(HERE / name, TOOLS / name)
    completed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--omit=dev"],
        cwd=TOOLS,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"npm ci failed:\n{completed.stdout}{completed.stderr}")
    stamp.write_text(fingerprint)
    return TOOLS


def server(database_url: str, deployment: Deployment) -> Api:
    """PostGraphile on the database, running (started by the launcher, stopped with it)."""
    tools = ensure_installed()
    node = shutil.which("node") or "node"
    port = free_port()
    return deployment.start_server(
        "postgraphile",
        [node, str(HERE / "server.js")],
        {
            **base_env(),
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "NODE_ENV": "production",
            "NODE_PATH": str(tools / "node_modules"),
        },
        port,
        "/healthz",
    )


def body(query: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


def rows_of(answer: Any) -> list[tuple[str, str, str]]:
    """(uuid, patient's name, psychologist's name) of each row of a PostGraphile page."""
    edges = answer["data"]["allAppointments"]["edges"]
    return [
        (
            e["node"]["id"],
            e["node"]["patientByPatientId"]["name"],
            e["node"]["psychologistByPsychologistId"]["name"],
        )
        for e in edges
    ]


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "(not found)"
    completed = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return completed.stdout.strip()
