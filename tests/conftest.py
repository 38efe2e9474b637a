"""Shared fixtures: every store test runs on SQLite and on a throwaway PostgreSQL server.

Fixtures other tests rely on (keep the names):

* ``db_url``   – a fresh, empty database URL, parametrized ``[sqlite]`` / ``[postgresql]``;
* ``project``  – ``open_project(db_url)``, closed after the test;
* ``sqlite_url`` / ``pg_url`` – the same, for tests that only make sense on one backend;
* ``postgres_server`` – the session's private PostgreSQL server (see ``PostgresServer``).

The server is started once per session from the local PostgreSQL binaries, as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root), in a
private directory under /tmp, listening only on a unix socket there. Without binaries
the PostgreSQL tests are skipped, except under ``CI=true`` where that is an error.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql

from qcoder.store.database import Project, open_project

PG_USER = "qcoder"
# Debian/Ubuntu keep the server binaries off the PATH; Homebrew keeps them per version.
PG_BIN_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the session's PostgreSQL test server")
    config.addinivalue_line("markers", "slow: takes seconds (builds a wheel, loads 100k rows)")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path)) or (0,)


def find_pg_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres`` (newest version wins)."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        bindir = Path(initdb).resolve().parent  # /usr/local/bin/initdb may be a symlink
        if (bindir / "pg_ctl").exists() and (bindir / "postgres").exists():
            return bindir
    candidates = [d for pattern in PG_BIN_GLOBS for d in glob.glob(pattern)]
    for bindir_str in sorted(candidates, key=_version_key, reverse=True):
        bindir = Path(bindir_str)
        if all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


@dataclass
class PostgresServer:
    """A private PostgreSQL cluster reachable over a unix socket in ``socket_dir``."""

    bindir: Path
    socket_dir: Path
    as_postgres_user: bool
    version: str = ""
    _admin: psycopg.Connection | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.socket_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.socket_dir / "log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@/{database}?host={self.socket_dir}"

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres_user else []
        return [*prefix, *args]

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            self._command(*args),
            cwd=self.socket_dir,  # the postgres user may not be allowed into our cwd
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no server log)"

    def start(self) -> None:
        initdb = str(self.bindir / "initdb")
        base = [initdb, "-D", str(self.data_dir), "-A", "trust", "-U", PG_USER, "-E", "UTF8", "-N"]
        result = self._run(*base, "--locale=C.UTF-8")
        if result.returncode != 0:  # no C.UTF-8 locale (e.g. macOS): fall back to plain C
            shutil.rmtree(self.data_dir, ignore_errors=True)
            result = self._run(*base, "--no-locale")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB"
        )
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "start",
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{self._log_tail()}")
        self._admin = psycopg.connect(host=str(self.socket_dir), user=PG_USER, dbname="postgres", autocommit=True)
        row = self._admin.execute("SHOW server_version").fetchone()
        self.version = str(row[0]) if row else "?"

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data_dir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def create_database(self) -> str:
        assert self._admin is not None, "server not started"
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop even if a test left connections open (FORCE, PostgreSQL 13+)."""
        assert self._admin is not None, "server not started"
        self._admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _unavailable(reason: str) -> NoReturn:
    """Skip on a laptop without PostgreSQL; in CI the PostgreSQL tests must run."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}; PostgreSQL tests must not be skipped in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a private PostgreSQL server for this test session and remove it afterwards."""
    bindir = find_pg_bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in " + ", ".join(PG_BIN_GLOBS))
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        _unavailable("running as root, PostgreSQL refuses root, and `runuser` is missing")
    socket_dir = Path(tempfile.mkdtemp(prefix="qcpg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    if len(str(socket_dir / ".s.PGSQL.5432")) >= 107:
        shutil.rmtree(socket_dir)
        pytest.fail(f"unix socket path under {socket_dir} is too long for PostgreSQL")
    if as_root:
        shutil.chown(socket_dir, user="postgres", group="postgres")
    socket_dir.chmod(0o755)
    server = PostgresServer(bindir=bindir, socket_dir=socket_dir, as_postgres_user=as_root)
    try:
        try:
            server.start()
        except (RuntimeError, subprocess.TimeoutExpired, psycopg.Error) as error:
            pytest.fail(f"could not start PostgreSQL from {bindir}: {error}", pytrace=False)
        yield server
    finally:
        server.stop()
        shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a not-yet-existing SQLite project file."""
    return f"sqlite:///{tmp_path / 'project.qcoder.db'}"


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A freshly created, empty PostgreSQL database, dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on each backend; ids read ``test_x[sqlite]``/``[postgresql]``."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def project(db_url: str) -> Iterator[Project]:
    """A newly created project on each backend, closed after the test."""
    opened = open_project(db_url)
    try:
        yield opened
    finally:
        opened.close()


def pytest_report_header(config: pytest.Config) -> str:
    bindir = find_pg_bindir()
    return f"qcoder: PostgreSQL binaries: {bindir or 'not found'}; CI={os.environ.get('CI', '')}"
