"""`check_project` finds damage done behind qcoder's back, and stays quiet on a sound project."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, insert, text
from sqlalchemy.orm import Session

from qcoder.store.check import MAX_PER_KIND, Problem, check_project
from qcoder.store.database import Project, open_project, sqlite_path
from qcoder.store.models import Code, Coder, Coding, Document, Memo, Relation, Sentence

TEXTS = {
    "D01": "我们信任这家企业。合作很顺利！但是政策变化太快𠮷。",
    "D02": "创新联合体很重要。揭榜挂帅激发了活力。",
}


def _split(document_text: str) -> list[tuple[int, int, str]]:
    spans, start = [], 0
    for end, char in enumerate(document_text, start=1):
        if char in "。！":
            spans.append((start, end, document_text[start:end]))
            start = end
    if start < len(document_text):
        spans.append((start, len(document_text), document_text[start:]))
    return spans


def populate(session: Session) -> None:
    """A small but complete project: two documents, a code ladder, codings, memos."""
    coder = Coder(name="张三")
    session.add(coder)
    sentence_ids: dict[str, int] = {}
    for index, (label, body) in enumerate(TEXTS.items()):
        document = Document(
            label=label,
            name=f"访谈{label}",
            sha256=f"{index:064d}",
            raw_bytes=body.encode("utf-8"),
            encoding="utf-8",
            original_text=body,
            text=body,
        )
        session.add(document)
        session.flush()
        for ordinal, (start, end, part) in enumerate(_split(body), start=1):
            sentence = Sentence(
                document_id=document.id,
                ordinal=ordinal,
                label=f"{label}-S{ordinal:03d}",
                start=start,
                end=end,
                text=part,
            )
            session.add(sentence)
            session.flush()
            sentence_ids[sentence.label] = sentence.id
    category = Code(name="制度信任", level=1)
    session.add(category)
    session.flush()
    concept = Code(name="信任企业", level=0, parent_id=category.id, exemplar_sentence_id=sentence_ids["D01-S001"])
    session.add(concept)
    session.flush()
    relation = Relation(source_id=concept.id, target_id=category.id, type="causal")
    session.add(relation)
    session.flush()
    session.add_all(
        [
            Coding(sentence_id=sentence_ids["D01-S001"], code_id=concept.id, coder_id=coder.id),
            Coding(sentence_id=sentence_ids["D02-S002"], code_id=concept.id, coder_id=coder.id),
            Memo(title="代码备忘", code_id=concept.id, coder_id=coder.id),
            Memo(title="句子备忘", sentence_id=sentence_ids["D01-S003"]),
            Memo(title="关系备忘", relation_id=relation.id),
        ]
    )


@pytest.fixture
def populated(project: Project) -> Project:
    with project.transaction() as session:
        populate(session)
    return project


@contextmanager
def behind_qcoders_back(url: str) -> Iterator[Connection]:
    """A transaction of another tool that does not enforce foreign keys (as sqlite3 CLI)."""
    engine = create_engine(url)  # plain SQLite engines leave foreign keys off
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # skip FK triggers (superuser only)
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
    finally:
        engine.dispose()


def kinds(problems: list[Problem]) -> list[str]:
    return sorted(problem.kind for problem in problems)


def test_a_sound_project_has_no_problems(populated: Project) -> None:
    assert check_project(populated) == []


def test_an_empty_project_has_no_problems(project: Project) -> None:
    assert check_project(project) == []


def test_a_shifted_statement_offset_is_reported(populated: Project) -> None:
    with behind_qcoders_back(populated.url) as connection:
        connection.execute(text("UPDATE sentences SET start = start + 1 WHERE label = 'D01-S002'"))

    problems = check_project(populated)

    assert kinds(problems) == ["offset"]
    assert "D01-S002" in problems[0].message and "D01" in problems[0].message


def test_a_span_beyond_the_document_end_is_reported(populated: Project) -> None:
    with behind_qcoders_back(populated.url) as connection:
        connection.execute(text("UPDATE sentences SET \"end\" = 999 WHERE label = 'D02-S002'"))

    problems = check_project(populated)

    assert kinds(problems) == ["offset"]
    assert "D02-S002" in problems[0].message and "outside" in problems[0].message


def test_overlapping_and_out_of_order_spans_are_reported(populated: Project) -> None:
    body = TEXTS["D01"]
    (_s1, e1, _), (_s2, e2, _), (_s3, _e3, _) = _split(body)
    with behind_qcoders_back(populated.url) as connection:
        # S002 now starts inside S001 (its text still matches the document: no offset problem)
        connection.execute(
            text("UPDATE sentences SET start = :start, text = :text WHERE label = 'D01-S002'"),
            {"start": e1 - 2, "text": body[e1 - 2 : e2]},
        )
        # and D02's two statements swap ordinals: the second comes first
        connection.execute(text("UPDATE sentences SET ordinal = 99 WHERE label = 'D02-S001'"))
        connection.execute(text("UPDATE sentences SET ordinal = 1 WHERE label = 'D02-S002'"))
        connection.execute(text("UPDATE sentences SET ordinal = 2 WHERE label = 'D02-S001'"))

    problems = check_project(populated)

    assert kinds(problems) == ["order", "overlap"]
    by_kind = {problem.kind: problem.message for problem in problems}
    assert "D01-S002" in by_kind["overlap"] and "D01-S001" in by_kind["overlap"]
    assert "D02-S001" in by_kind["order"]


def test_a_parent_code_not_above_its_child_is_reported(populated: Project) -> None:
    with behind_qcoders_back(populated.url) as connection:
        connection.execute(text("UPDATE codes SET level = 2 WHERE name = '信任企业'"))

    problems = check_project(populated)

    assert kinds(problems) == ["level"]
    assert "信任企业" in problems[0].message and "制度信任" in problems[0].message


def test_rows_pointing_at_deleted_rows_are_each_reported_once(populated: Project) -> None:
    with behind_qcoders_back(populated.url) as connection:
        connection.execute(text("DELETE FROM sentences WHERE label = 'D01-S001'"))  # coded, exemplar
        connection.execute(text("DELETE FROM sentences WHERE label = 'D01-S003'"))  # has a memo
        connection.execute(text("DELETE FROM codes WHERE name = '制度信任'"))  # parent, in a relation
        connection.execute(text("DELETE FROM documents WHERE label = 'D02'"))  # has statements

    problems = check_project(populated)

    messages = [problem.message for problem in problems]
    assert len(messages) == len(set(messages))
    assert {problem.kind for problem in problems} == {"orphan"}  # SQLite's FK check adds nothing
    pointing = sorted(m.split(":")[1].split("=")[0].strip() for m in messages)
    assert pointing == sorted(
        [
            "sentence_id",  # coding of D01-S001
            "exemplar_sentence_id",  # concept's exemplar D01-S001
            "sentence_id",  # memo on D01-S003
            "parent_id",  # concept's parent
            "target_id",  # the relation
            "document_id",
            "document_id",  # D02's two statements
        ]
    )


def test_duplicate_statement_labels_are_reported(populated: Project) -> None:
    with behind_qcoders_back(populated.url) as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("sentences") as batch:
            batch.drop_constraint("uq_sentences_label", type_="unique")
        connection.execute(text("UPDATE sentences SET label = 'D01-S001' WHERE label = 'D02-S001'"))

    problems = check_project(populated)

    assert kinds(problems) == ["label"]
    assert "2 statements share the label 'D01-S001'" in problems[0].message


def test_a_damaged_sqlite_file_is_reported(sqlite_url: str) -> None:
    with open_project(sqlite_url) as project, project.transaction() as session:
        populate(session)
    path = sqlite_path(sqlite_url)
    assert path is not None
    raw = sqlite3.connect(path)  # make an index disagree with its table, as a torn write would
    raw.execute("PRAGMA writable_schema = ON")
    raw.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_sentences_document_id ON sentences (ordinal)'"
        " WHERE name = 'ix_sentences_document_id'"
    )
    raw.commit()
    raw.close()

    with open_project(sqlite_url) as project:
        problems = check_project(project)

    assert problems and {problem.kind for problem in problems} == {"integrity"}
    assert any("ix_sentences_document_id" in problem.message for problem in problems)


def test_a_flood_of_problems_is_summarised(populated: Project) -> None:
    with populated.transaction() as session:
        for n in range(MAX_PER_KIND + 5):
            session.add(
                Code(
                    name=f"子{n}",
                    level=1,
                    parent_id=session.query(Code.id).filter_by(name="制度信任").scalar_subquery(),
                )
            )

    problems = check_project(populated)

    assert len(problems) == MAX_PER_KIND + 1
    assert problems[-1].message == "… and 5 more level problems not listed"


@pytest.mark.slow
def test_checking_100k_statements_takes_seconds_not_minutes(tmp_path: Path) -> None:
    documents, per_document = 100, 1000
    piece = "这是一个用于检查性能的句子。"
    body = piece * per_document
    with open_project(tmp_path / "big.qcoder.db") as project:
        with project.transaction() as session:
            session.execute(
                insert(Document),
                [
                    {
                        "id": d,
                        "label": f"D{d:03d}",
                        "name": f"文档{d}",
                        "sha256": f"{d:064d}",
                        "raw_bytes": b"",
                        "encoding": "utf-8",
                        "original_text": body,
                        "text": body,
                        "attributes": {},
                        "role": "coding",
                        "import_report": [],
                    }
                    for d in range(1, documents + 1)
                ],
            )
            session.execute(
                insert(Sentence),
                [
                    {
                        "document_id": d,
                        "ordinal": n + 1,
                        "label": f"D{d:03d}-S{n + 1:04d}",
                        "start": n * len(piece),
                        "end": (n + 1) * len(piece),
                        "text": piece,
                        "kind": "sentence",
                        "tokens": "",
                        "cell_width": 0,
                    }
                    for d in range(1, documents + 1)
                    for n in range(per_document)
                ],
            )
        started = time.perf_counter()
        problems = check_project(project)
        elapsed = time.perf_counter() - started

    assert problems == []
    assert elapsed < 30, f"check took {elapsed:.1f}s for {documents * per_document} statements"
