"""`backup`: a copy a researcher can open, taken safely while the project is in use."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from qcoder.errors import QcoderError
from qcoder.store.backup import backup, pg_dump_command, pg_dump_message
from qcoder.store.database import Project, open_project, sqlite_path
from qcoder.store.models import Base, Coder, Document, Sentence

BODY = "我们信任这家企业。合作很顺利！"


def fill(project: Project) -> None:
    with project.transaction() as session:
        session.add(Coder(name="张三"))
        document = Document(
            label="D01",
            name="访谈一",
            sha256="0" * 64,
            raw_bytes=BODY.encode("gb18030") + b"\x00\xff",
            encoding="gb18030",
            original_text=BODY,
            text=BODY,
            attributes={"地区": "上海"},
        )
        session.add(document)
        session.flush()
        session.add_all(
            [
                Sentence(document_id=document.id, ordinal=1, label="D01-S001", start=0, end=9, text=BODY[0:9]),
                Sentence(document_id=document.id, ordinal=2, label="D01-S002", start=9, end=15, text=BODY[9:15]),
            ]
        )


def snapshot(project: Project) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in primary-key order."""
    rows = {}
    with project.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(query)]
    return rows


@pytest.fixture
def sqlite_project(sqlite_url: str) -> Iterator[Project]:
    with open_project(sqlite_url) as project:
        fill(project)
        yield project


def test_backup_of_a_project_in_use_opens_with_the_same_rows(sqlite_project: Project) -> None:
    path = sqlite_path(sqlite_project.url)
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # recent work is still only in the WAL

    message = backup(sqlite_project, None)

    copies = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.stem}.backup-")]
    assert len(copies) == 1
    copy = copies[0]
    assert copy.suffix == path.suffix and str(copy) in message
    assert not copy.with_name(copy.name + "-wal").exists()  # one self-contained file
    with open_project(copy, create=False) as restored:
        assert restored.notices == []
        assert snapshot(restored) == snapshot(sqlite_project)
        with restored.session() as session:
            assert session.scalar(select(Document.raw_bytes)) == BODY.encode("gb18030") + b"\x00\xff"


def test_backup_does_not_wait_for_or_include_an_unfinished_write(sqlite_project: Project) -> None:
    path = sqlite_path(sqlite_project.url)
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO coders (name, created_at) VALUES ('未提交', '2025-01-01')")
        target = path.parent / "copy.db"
        backup(sqlite_project, target)
    finally:
        writer.close()
    with open_project(target, create=False) as restored, restored.session() as session:
        assert session.scalars(select(Coder.name)).all() == ["张三"]


def test_backup_into_a_folder_and_never_over_an_existing_file(sqlite_project: Project, tmp_path: Path) -> None:
    folder = tmp_path / "备份 folder"
    folder.mkdir()
    backup(sqlite_project, folder)
    (made,) = folder.iterdir()
    with open_project(made, create=False) as restored, restored.session() as session:
        assert session.scalar(select(func.count()).select_from(Sentence)) == 2

    before = made.read_bytes()
    with pytest.raises(QcoderError, match="already exists"):
        backup(sqlite_project, made)
    assert made.read_bytes() == before
    path = sqlite_path(sqlite_project.url)
    assert path is not None
    with pytest.raises(QcoderError, match="is the project itself"):
        backup(sqlite_project, path)
    with pytest.raises(QcoderError, match="does not exist"):
        backup(sqlite_project, tmp_path / "missing" / "x.db")
    assert not (tmp_path / "missing").exists()


def test_pg_dump_command_names_the_database_but_never_the_password() -> None:
    url = "postgresql+psycopg://ana:s3cret@db.example.org:5433/grounded_theory"
    argv = pg_dump_command(url, Path("/backups/gt.dump"))
    assert argv == [
        "pg_dump",
        "--format=custom",
        "--file=/backups/gt.dump",
        "--host=db.example.org",
        "--port=5433",
        "--username=ana",
        "grounded_theory",
    ]
    message = pg_dump_message(url, Path("/backups/my gt.dump"))
    assert "s3cret" not in message
    assert "pg_dump --format=custom '--file=/backups/my gt.dump'" in message  # pasteable


@pytest.mark.postgres
def test_postgres_backup_prints_a_pg_dump_command_that_works(pg_url: str, postgres_server: Any, tmp_path: Path) -> None:
    with open_project(pg_url) as project:
        fill(project)
        target = tmp_path / "dump folder" / "project.dump"
        target.parent.mkdir()
        message = backup(project, target)

    command_line = message.splitlines()[-1].strip()
    argv = shlex.split(command_line)
    assert argv[0] == "pg_dump" and f"--file={target}" in argv
    bindir: Path = postgres_server.bindir
    if not (bindir / "pg_dump").exists():
        pytest.skip(f"no pg_dump next to the server in {bindir}")
    argv[0] = str(bindir / "pg_dump")  # a client of the server's version
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    listing = subprocess.run(
        [str(bindir / "pg_restore"), "--list", str(target)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "TABLE DATA public sentences" in listing
