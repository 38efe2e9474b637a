"""Opening projects, SQLite set-up, lock retries and faithful storage on both backends."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qcoder.errors import QcoderError
from qcoder.store import database
from qcoder.store.database import Project, open_project, resolve_url, sqlite_path
from qcoder.store.models import (
    Base,
    Code,
    Coder,
    Coding,
    Document,
    DocumentReview,
    Event,
    HistoryEntry,
    Memo,
    Relation,
    Sentence,
    Setting,
    SuggestionRejection,
)

# --- resolve_url ---------------------------------------------------------------------------


def test_a_bare_relative_path_becomes_an_absolute_sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_url("研究/访谈 项目.db") == f"sqlite:///{tmp_path.resolve()}/研究/访谈 项目.db"


def test_a_home_relative_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_url("~/p.qcoder.db") == f"sqlite:///{tmp_path.resolve()}/p.qcoder.db"


def test_qcoder_db_is_used_unless_a_database_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QCODER_DB", str(tmp_path / "from-env.db"))
    assert resolve_url() == f"sqlite:///{tmp_path.resolve()}/from-env.db"
    assert resolve_url(tmp_path / "given.db") == f"sqlite:///{tmp_path.resolve()}/given.db"


def test_without_db_or_env_the_project_lives_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def user_data_dir(appname: str, **_kwargs: Any) -> str:
        asked.append(appname)
        return str(tmp_path / "data" / appname)

    monkeypatch.delenv("QCODER_DB", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)
    expected = tmp_path.resolve() / "data" / "qcoder" / "default.qcoder.db"

    assert resolve_url() == f"sqlite:///{expected}"
    assert asked == ["qcoder"]
    with open_project():  # the data dir does not exist yet: it is created
        assert expected.is_file()


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://ana:s3cret@db.example.org:5433/gt",
        "postgres://ana:s3cret@db.example.org:5433/gt",
        "postgresql+psycopg2://ana:s3cret@db.example.org:5433/gt",
    ],
    ids=["postgresql", "postgres", "psycopg2"],
)
def test_postgres_urls_are_driven_by_psycopg_3(given: str) -> None:
    assert resolve_url(given) == "postgresql+psycopg://ana:s3cret@db.example.org:5433/gt"


# --- SQLite set-up ---------------------------------------------------------------------------


def test_sqlite_pragmas_are_in_effect_on_every_connection(sqlite_url: str) -> None:
    with open_project(sqlite_url) as project, project.engine.connect() as first, project.engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) > 0


def test_a_reader_does_not_block_a_writer_on_sqlite(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """WAL: a coder browsing in the TUI must not stop another from saving."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    with open_project(sqlite_url) as project, project.session() as reader:
        assert reader.scalar(select(func.count()).select_from(Coder)) == 0  # read txn open
        project.run(lambda s: s.add(Coder(name="写入者")), attempts=1)
        assert reader.scalar(select(func.count()).select_from(Coder)) == 0  # its snapshot
    with open_project(sqlite_url) as project, project.session() as fresh:
        assert fresh.scalar(select(Coder.name)) == "写入者"


def test_foreign_keys_are_enforced(project: Project) -> None:
    with pytest.raises(IntegrityError), project.transaction() as session:
        session.add(Sentence(document_id=424242, ordinal=1, label="D99-S001", start=0, end=1, text="无"))
        session.flush()
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Sentence)) == 0


# --- Project.run retries ------------------------------------------------------------------------


@contextmanager
def write_lock_held_elsewhere(url: str) -> Iterator[Callable[[], None]]:
    """Another process holds the write lock until the yielded ``release`` is called."""
    path = sqlite_path(url)
    if path is not None:
        sqlite_other = sqlite3.connect(path, isolation_level=None)
        sqlite_other.execute("BEGIN IMMEDIATE")

        def release_sqlite() -> None:
            if sqlite_other.in_transaction:
                sqlite_other.execute("ROLLBACK")

        try:
            yield release_sqlite
        finally:
            sqlite_other.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as pg_other:
            pg_other.execute(text("LOCK TABLE coders IN ACCESS EXCLUSIVE MODE"))
            yield pg_other.rollback
    finally:
        engine.dispose()


def _open_impatient(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project whose lock waits are short, so the test does not sit out the real timeout."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    return open_project(db_url)


def _short_pg_lock_wait(project: Project, session: Session) -> None:
    if not project.is_sqlite:  # PostgreSQL would wait for the lock forever
        session.execute(text("SET LOCAL lock_timeout = '50ms'"))


def test_run_retries_while_another_process_holds_the_lock(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _open_impatient(db_url, monkeypatch) as project, write_lock_held_elsewhere(db_url) as release:
        calls = 0

        def add_coder(session: Session) -> int:
            nonlocal calls
            calls += 1
            if calls == 3:  # the other process finishes while we are backing off
                release()
            _short_pg_lock_wait(project, session)
            coder = Coder(name="重试者")
            session.add(coder)
            session.flush()
            return coder.id

        coder_id = project.run(add_coder)

        assert calls == 3
        with project.session() as session:
            assert session.get(Coder, coder_id) is not None
            assert session.scalar(select(func.count()).select_from(Coder)) == 1


def test_run_gives_up_with_one_line_saying_the_project_is_busy(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _open_impatient(db_url, monkeypatch) as project, write_lock_held_elsewhere(db_url):
        calls = 0

        def add_coder(session: Session) -> None:
            nonlocal calls
            calls += 1
            _short_pg_lock_wait(project, session)
            session.add(Coder(name="放弃者"))
            session.flush()

        with pytest.raises(QcoderError) as failure:
            project.run(add_coder, attempts=3)

    assert calls == 3
    message = str(failure.value)
    assert "busy" in message and "try again" in message
    assert "\n" not in message


def test_run_does_not_retry_a_broken_rule(project: Project) -> None:
    """A duplicate is not contention: retrying it would only delay the error."""
    project.run(lambda s: s.add(Coder(name="张三")))
    calls = 0

    def add_again(session: Session) -> None:
        nonlocal calls
        calls += 1
        session.add(Coder(name="张三"))
        session.flush()

    with pytest.raises(QcoderError) as failure:
        project.run(add_again)
    assert calls == 1
    assert "\n" not in str(failure.value)


# --- storage round trip ----------------------------------------------------------------------

DOC_TEXT = "访谈一\n受访者：张三（化名）。我们信任这家企业𠮷！\n“创新联合体”很重要。"
RAW_BYTES = DOC_TEXT.encode("gb18030") + b"\x00\xff\xfe" + bytes(range(256))


def _spans(document_text: str, *parts: str) -> list[tuple[int, int, str]]:
    spans = []
    for part in parts:
        start = document_text.index(part)
        spans.append((start, start + len(part), part))
    return spans


def build_everything(session: Session) -> list[Base]:
    """One row of every model, full of Chinese text, in dependency order."""
    coder = Coder(name="张三")
    other = Coder(name="李四")
    document = Document(
        label="D01",
        name="访谈一：张三",
        source_path="/数据/访谈 一.txt",
        sha256="ab" * 32,
        raw_bytes=RAW_BYTES,
        encoding="gb18030",
        original_text=DOC_TEXT.replace("“", '"'),
        text=DOC_TEXT,
        attributes={"性别": "女", "地区": "上海", "年龄段": "30–39"},
        role="holdout",
        import_report=["全角引号已保留", "检测到编码 GB18030"],
    )
    session.add_all([coder, other, document])
    session.flush()
    sentences = [
        Sentence(
            document_id=document.id,
            ordinal=n,
            label=f"D01-S{n:03d}",
            start=start,
            end=end,
            kind="heading" if n == 1 else "sentence",
            text=part,
            tokens=" ".join(part),
            cell_width=2 * len(part),
        )
        for n, (start, end, part) in enumerate(
            _spans(DOC_TEXT, "访谈一", "受访者：张三（化名）。", "我们信任这家企业𠮷！"), start=1
        )
    ]
    session.add_all(sentences)
    session.flush()
    category = Code(
        name="制度信任",
        level=1,
        definition="对制度的信任",
        colour="#AA00FF",
        created_by_id=coder.id,
        updated_by_id=other.id,
    )
    session.add(category)
    session.flush()
    concept = Code(
        name="信任企业",
        level=0,
        parent_id=category.id,
        definition="受访者信任企业",
        exemplar_sentence_id=sentences[2].id,
        created_by_id=coder.id,
    )
    session.add(concept)
    session.flush()
    relation = Relation(source_id=concept.id, target_id=category.id, type="causal", note="信任→合作", coder_id=coder.id)
    session.add(relation)
    session.flush()
    rows: list[Base] = [
        Setting(key="user_words", value=["新质生产力", "揭榜挂帅"]),
        Coding(sentence_id=sentences[2].id, code_id=concept.id, coder_id=coder.id),
        DocumentReview(coder_id=coder.id, document_id=document.id),
        Memo(type="code", title="关于信任", text="备忘：信任是核心。\n第二行", coder_id=coder.id, code_id=concept.id),
        Memo(type="storyline", title="故事线", text="整体叙述"),
        Event(coder_id=coder.id, action="code", payload={"编码": "信任企业", "句子": ["D01-S003"]}),
        HistoryEntry(coder_id=coder.id, description="编码 3 条语句：信任企业", state="undone"),
        SuggestionRejection(sentence_id=sentences[1].id, code_id=concept.id, coder_id=coder.id),
    ]
    session.add_all(rows)
    session.flush()
    return [coder, other, document, *sentences, category, concept, relation, *rows]


def _columns(obj: Base, *, datetimes: bool) -> dict[str, Any]:
    mapper = inspect(type(obj))
    values = {}
    for column in mapper.columns:
        value = getattr(obj, mapper.get_property_by_column(column).key)
        if isinstance(value, datetime) != datetimes:
            continue
        values[column.key] = value
    return values


def _primary_key(obj: Base) -> tuple[Any, ...]:
    return inspect(obj).identity or ()


def test_every_model_round_trips_chinese_text_json_and_raw_bytes(project: Project) -> None:
    with project.transaction() as session:
        written = build_everything(session)
    assert {type(obj) for obj in written} == {m.class_ for m in Base.registry.mappers}

    with project.session() as session:
        for obj in written:
            read = session.get(type(obj), _primary_key(obj))
            assert read is not None, obj
            assert _columns(read, datetimes=False) == _columns(obj, datetimes=False), type(obj)
        document = session.scalars(select(Document)).one()
        assert document.raw_bytes == RAW_BYTES and isinstance(document.raw_bytes, bytes)
        assert list(document.attributes) == ["性别", "地区", "年龄段"]  # key order kept
        assert [s.text for s in document.sentences] == ["访谈一", "受访者：张三（化名）。", "我们信任这家企业𠮷！"]
        assert all(document.text[s.start : s.end] == s.text for s in document.sentences)


def test_timestamps_come_back_as_the_same_aware_instant(project: Project) -> None:
    """Exports and "last edited" displays need real instants, not naive local-less times."""
    with project.transaction() as session:
        written = build_everything(session)
    with project.session() as session:
        for obj in written:
            read = session.get(type(obj), _primary_key(obj))
            for key, value in _columns(obj, datetimes=True).items():
                got = getattr(read, key)
                assert got.tzinfo is not None, f"{type(obj).__name__}.{key} came back naive"
                assert got == value
                assert abs(got - datetime.now(UTC)) < timedelta(minutes=5)


# --- rules the schema enforces -------------------------------------------------------------------


def test_a_coder_cannot_apply_the_same_code_to_a_statement_twice(project: Project) -> None:
    with project.transaction() as session:
        written = build_everything(session)
    coding = next(obj for obj in written if isinstance(obj, Coding))
    other = next(obj for obj in written if isinstance(obj, Coder) and obj.name == "李四")

    with pytest.raises(IntegrityError), project.transaction() as session:
        session.add(Coding(sentence_id=coding.sentence_id, code_id=coding.code_id, coder_id=coding.coder_id))
        session.flush()
    # the same statement and code by another coder is a second, independent judgement
    with project.transaction() as session:
        session.add(Coding(sentence_id=coding.sentence_id, code_id=coding.code_id, coder_id=other.id))

    with project.session() as session:
        coders = session.scalars(
            select(Coding.coder_id).where(Coding.sentence_id == coding.sentence_id).order_by(Coding.coder_id)
        ).all()
    assert coders == sorted([coding.coder_id, other.id])


def test_editing_a_code_bumps_its_version_and_a_stale_edit_is_refused(project: Project) -> None:
    """Two coders editing one code: the later save based on the old version must not win."""
    with project.transaction() as session:
        code = Code(name="信任", level=0)
        session.add(code)
    assert code.version == 1

    with project.session() as reader:  # coder A opens the code in the TUI …
        stale = reader.get(Code, code.id)
    assert stale is not None

    with project.transaction() as session:  # … coder B saves an edit meanwhile …
        fresh = session.get(Code, code.id)
        assert fresh is not None
        fresh.definition = "对他人的信任"
    assert fresh.version == 2

    stale.definition = "过时的修改"  # … and coder A saves on top of version 1
    with pytest.raises(StaleDataError), project.transaction() as session:
        session.add(stale)

    with project.session() as session:
        stored = session.get(Code, code.id)
        assert stored is not None
        assert (stored.definition, stored.version) == ("对他人的信任", 2)
