"""A private PostgreSQL cluster for one benchmark run, with the default durability settings.

The test suite's cluster turns fsync off; a benchmark must not, or commits and
checkpoints would cost less than they do on a real server.
"""

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from bench.processes import BenchError, free_port, log_tail

READY_TIMEOUT_SECONDS = 60.0


def postgres_bindir() -> Path:
    """The newest server binaries: Debian's layout first, then PATH."""

    def version(initdb: str) -> tuple[int, ...]:
        name = Path(initdb).parent.parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise BenchError(
        "PostgreSQL server binaries not found: run scripts/ensure-system-packages.sh postgres"
    )


class Cluster:
    """initdb (once) into ``root/data``, pg_ctl start and stop; sockets and log in ``root``.

    initdb refuses to run as root, so as root every server command runs as the
    `postgres` user, which then owns ``root``.
    """

    def __init__(self, root: Path, *, keep: bool, settings: dict[str, str] | None = None) -> None:
        self.root = root
        self.keep = keep
        # Server settings on top of initdb's defaults, given on the command line.
        self.settings = settings or {}
        self.bindir = postgres_bindir()
        self.port = free_port()
        self._as_postgres: list[str] = []
        self._running = False

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        if not (self.data_dir / "PG_VERSION").exists():
            initdb = ["-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            self._pg("initdb", *initdb, "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._pg("pg_ctl", "-D", "data", "-l", self.log_path.name, "-o", options, "-w", "start")
        self._running = True
        self._wait_ready()

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._pg("pg_ctl", "-D", "data", "-m", "fast", "-w", "stop", check=False)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        completed = subprocess.run(
            [str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        )
        return completed.stdout.strip()

    def _wait_ready(self) -> None:
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while subprocess.run(probe, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise BenchError(f"PostgreSQL not ready:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

    def _pg(self, program: str, *args: str, check: bool = True) -> None:
        # PG* variables of the caller's shell (PGDATA, PGPORT, ...) must not leak in.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        completed = subprocess.run(
            [*self._as_postgres, str(self.bindir / program), *args],
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and completed.returncode != 0:
            raise BenchError(
                f"{program} failed ({completed.returncode}):\n{completed.stdout}"
                f"{completed.stderr}\n{log_tail(self.log_path)}"
            )
