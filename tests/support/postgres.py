"""A private PostgreSQL cluster (for the tests, the stack and the benchmarks), and the admin
statements they need."""

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from support.processes import ServiceError, free_port, log_tail, run_coroutine, wait_until

BASE_SETTINGS = ("listen_addresses=127.0.0.1", "max_connections=300")
# Throwaway data: durability off makes CREATE DATABASE and commits cheap. A benchmark keeps
# initdb's defaults (`durable=True`), or commits would cost less than on a real server.
THROWAWAY_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def postgres_bindir() -> Path:
    """The newest PostgreSQL server binaries: Debian's layout first, then PATH."""

    def version(initdb: str) -> tuple[int, ...]:
        name = Path(initdb).parent.parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise ServiceError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run "
        "scripts/ensure-system-packages.sh, or set TEST_DATABASE_ADMIN_URL to a server's "
        "admin URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
    )


class PostgresCluster:
    """A throwaway cluster: initdb into a temporary folder, pg_ctl start/stop.

    initdb refuses to run as root, so as root every server command runs as the
    `postgres` user, which owns the folder (data, socket and log).
    """

    def __init__(
        self,
        bindir: Path | None = None,
        port: int | None = None,
        parent: Path | None = None,
        *,
        durable: bool = False,
        settings: tuple[str, ...] = (),
        keep_in: Path | None = None,
    ) -> None:
        self.bindir = bindir or postgres_bindir()
        self.port = port or free_port()
        # Where the cluster's own folder is made (the system's temporary folder if None).
        self.parent = parent
        self.settings = (*BASE_SETTINGS, *(() if durable else THROWAWAY_SETTINGS), *settings)
        # A folder whose data outlives the cluster: reused by the next start, never removed.
        self.keep_in = keep_in
        self._root: Path | None = None
        self._as_postgres: list[str] = []

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """libpq URL of `database` as the superuser."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def log_path(self) -> Path | None:
        """The server's log while the cluster exists (it goes with the cluster's folder)."""
        return None if self._root is None else self._root / "postgres.log"

    @property
    def root(self) -> Path:
        """The cluster's folder (data, socket, log) while it runs."""
        if self._root is None:
            raise ServiceError("the cluster is not running")
        return self._root

    @property
    def keep(self) -> bool:
        return self.keep_in is not None

    def postmaster_pid(self) -> int:
        """The server's main process: its backends are its children."""
        if self._root is None:
            raise ServiceError("the cluster is not running")
        return int((self._root / "data" / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        completed = subprocess.run(
            [str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        )
        return completed.stdout.strip()

    def start(self) -> None:
        if self.keep_in is not None:
            root = self.keep_in
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = Path(tempfile.mkdtemp(prefix="postgres-", dir=self.parent))
        self._root = root
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceError("running as root, but there is no `postgres` user") from None
            os.chown(root, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        try:
            if not (root / "data" / "PG_VERSION").exists():
                initdb = ["-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8"]
                self._pg("initdb", *initdb, "--locale=C.UTF-8", "--no-sync")
            self._start_server(root)
        except BaseException:
            self.stop()
            raise

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """The server down inside the block, up again after it with its data, on the same port.

        A fast shutdown, as an operator's restart does: every session is ended at once.
        """
        root = self._root
        if root is None:
            raise ServiceError("the cluster is not running")
        self._pg("pg_ctl", "-D", "data", "-m", "fast", "-w", "stop")
        try:
            yield
        finally:
            self._start_server(root)

    def _start_server(self, root: Path) -> None:
        options = " ".join(["-p", str(self.port), "-k", str(root)])
        options += "".join(f" -c {setting}" for setting in self.settings)
        self._pg("pg_ctl", "-D", "data", "-l", "postgres.log", "-o", options, "-w", "start")
        wait_until(self._accepts_connections, what=f"PostgreSQL on port {self.port}")

    def stop(self) -> None:
        root, self._root = self._root, None
        if root is None:
            return
        # Data kept for later is shut down cleanly; throwaway data needs no checkpoint.
        mode = "fast" if self.keep_in is not None else "immediate"
        if (root / "data" / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", "data", "-m", mode, "-w", "stop", cwd=root, check=False)
        if self.keep_in is None:
            shutil.rmtree(root, ignore_errors=True)

    def _accepts_connections(self) -> bool:
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(probe, check=False).returncode == 0

    def _pg(self, program: str, *args: str, cwd: Path | None = None, check: bool = True) -> None:
        folder = cwd or self._root
        assert folder is not None
        # PG* variables from the caller's shell (PGDATA, PGPORT, ...) must not leak in.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        completed = subprocess.run(
            [*self._as_postgres, str(self.bindir / program), *args],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and completed.returncode != 0:
            raise ServiceError(
                f"{program} failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
                f"\n{log_tail(folder / 'postgres.log')}"
            )


class PostgresAdmin:
    """Creates and drops databases on a server, given its admin (libpq) URL."""

    _NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        """The URL of `database` on the same server, for `driver`."""
        return (
            make_url(self.admin_url)
            .set(drivername=driver, database=database)
            .render_as_string(hide_password=False)
        )

    def create_database(self, name: str, *, template: str = "template0") -> None:
        self.execute(f"CREATE DATABASE {self._quoted(name)} TEMPLATE {self._quoted(template)}")

    def drop_database(self, name: str) -> None:
        """Drops `name` if it exists, a template and one with open sessions included."""
        quoted = self._quoted(name)

        async def drop(connection: Any) -> None:
            query = "SELECT datistemplate FROM pg_database WHERE datname = $1"
            if await connection.fetchval(query, name):
                await connection.execute(f"ALTER DATABASE {quoted} WITH IS_TEMPLATE false")
            await connection.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")

        self._with_connection(drop)

    def seal_template(self, name: str) -> None:
        """Make `name` a template nobody can connect to, so copying it never waits."""
        quoted = self._quoted(name)

        async def seal(connection: Any) -> None:
            await connection.execute(
                f"ALTER DATABASE {quoted} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            )
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )

        self._with_connection(seal)

    def execute(self, *statements: str) -> None:
        async def run(connection: Any) -> None:
            for statement in statements:
                await connection.execute(statement)

        self._with_connection(run)

    def _with_connection(self, work: Callable[[Any], Awaitable[None]]) -> None:
        async def connected() -> None:
            connection = await asyncpg.connect(self.admin_url)
            try:
                await work(connection)
            finally:
                await connection.close()

        run_coroutine(connected)

    @staticmethod
    def random_name(prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(6)}"

    @classmethod
    def _checked(cls, name: str) -> str:
        if not cls._NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        return name

    @classmethod
    def _quoted(cls, name: str) -> str:
        return f'"{cls._checked(name)}"'
