"""A PostgreSQL server that may hang: every connection gives up in bounded time, in one line.

Probed with a local TCP port that accepts connections and never answers (a stuck server,
a half-open firewall): before, ``qcoder docs`` waited forever; now it says
``cannot reach the server at host:port; check the network`` and exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfaults import BlackHole
from sqlalchemy.exc import OperationalError

from qcoder.errors import QcoderError
from qcoder.store.database import describe_db_error, open_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


def test_cli_comes_back_from_a_server_that_never_answers(black_hole: BlackHole) -> None:
    url = f"postgresql://coder:s3cret-pw@127.0.0.1:{black_hole.port}/project"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The subprocess timeout only keeps a regression from hanging the test run.
    done = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "docs", "--db", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: cannot reach the server at 127.0.0.1:{black_hole.port}; check the network"
    assert "s3cret-pw" not in done.stdout + done.stderr
    assert len(black_hole.held) >= 1  # it did connect, and was never answered


def test_open_project_raises_one_line_for_a_silent_server(black_hole: BlackHole) -> None:
    with pytest.raises(QcoderError, match=rf"^cannot reach the server at 127.0.0.1:{black_hole.port}; check"):
        open_project(f"postgresql://coder@127.0.0.1:{black_hole.port}/project")


def test_a_closed_port_is_the_same_line() -> None:
    hole = BlackHole()
    port = hole.port
    hole.close()  # nobody listens there any more
    with pytest.raises(QcoderError, match=rf"^cannot reach the server at 127.0.0.1:{port}; check the network$"):
        open_project(f"postgresql://coder@127.0.0.1:{port}/project")


@pytest.mark.postgres
def test_every_connection_has_timeouts_and_keepalives(pg_url: str) -> None:
    with open_project(pg_url) as project, project.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1min"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "10s"
        raw = connection.connection.driver_connection
        params = raw.info.get_parameters()  # type: ignore[union-attr]
        assert params["connect_timeout"] == "3"
        assert params["keepalives"] == "1"
        assert "tcp_user_timeout" in params


@pytest.mark.postgres
def test_a_statement_the_server_cancels_is_one_line(pg_url: str) -> None:
    with open_project(pg_url) as project, pytest.raises(QcoderError, match="did not finish in time"):
        project.run(
            lambda s: s.connection().exec_driver_sql("SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(2)")
        )


def test_an_unreachable_error_names_the_server_not_the_password() -> None:
    import psycopg

    error = OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly"))
    message = describe_db_error(error, "postgresql+psycopg://a:pw@db.example.org:6543/x")
    assert message == "cannot reach the server at db.example.org:6543; check the network"
