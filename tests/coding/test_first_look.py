"""The fast launch's first look: the same state the Workbench reads, or None when it must not be used."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qcoder.coding.first_look import first_look
from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project

STATEMENTS = [
    "一、研究意义",
    "“新基建”是指5G、人工智能、数据中心等科技创新领域基础设施。",
    "企业通过“揭榜挂帅”机制组织关键核心技术攻关。",
    "创新联合体由龙头企业牵头，高校和科研院所共同参与。",
    "政府引导基金为中小企业提供了融资支持。",
    "访谈对象认为人才是创新的第一资源。",
    "数据要素市场化配置改革仍然面临不少障碍。",
]


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    """Two documents imported through the real pipeline; codings by two coders, a review."""
    path = tmp_path / "study.qcoder.db"
    _build(path, tmp_path)
    return path


def _build(path: Path | str, tmp_path: Path) -> None:
    first, second = tmp_path / "访谈一.txt", tmp_path / "访谈二.txt"
    first.write_text("\n".join(STATEMENTS), encoding="utf-8")
    second.write_text("\n".join(reversed(STATEMENTS)), encoding="utf-8")
    from qcoder.corpus.importer import import_path

    with open_project(path) as project:
        for source in (first, second):
            import_path(project, source)
        wang, li = Workbench(project, "王"), Workbench(project, "李")
        concept = wang.create_code("揭榜挂帅", 0)
        category = wang.create_code("创新主体", 1)
        statements = wang.statements(wang.documents()[0].id)
        wang.code_statements([statements[2].id, statements[-1].id], concept.id)
        li.code_statements([statements[3].id], category.id)
        wang.review(wang.documents()[1].id, True)


@pytest.mark.postgres
def test_the_first_look_on_postgresql_is_what_the_workbench_reads(pg_url: str, tmp_path: Path) -> None:
    _build(pg_url, tmp_path)
    look = first_look(pg_url, "王", first_statements=3)
    assert look is not None and look.rest is not None
    with open_project(pg_url) as project:
        bench = Workbench(project, "王")
        assert look.codes == bench.codes() and look.documents == bench.documents()
        assert look.coders == bench.coders() and look.levels == bench.levels()
        document_id = look.documents[0].id
        whole = bench.statements(document_id)
        mine = bench.document_codings(document_id)
    rest, codings = look.rest.read()
    assert look.statements + rest == whole
    assert {**look.codings, **codings} == mine


def test_first_look_shows_what_the_workbench_reads(project_path: Path) -> None:
    look = first_look(project_path, "王", first_statements=3)
    assert look is not None
    with open_project(project_path) as project:
        bench = Workbench(project, "王")
        assert (look.coder_id, look.coder_name) == (bench.coder_id, "王")
        assert look.levels == bench.levels() and [lv.name for lv in look.levels][:2] == ["概念", "初始范畴"]
        assert look.codes == bench.codes()
        assert look.coders == bench.coders()
        assert look.documents == bench.documents()
        assert look.documents[1].reviewed_by_me and not look.documents[0].reviewed_by_me
        document_id = look.documents[0].id
        whole = bench.statements(document_id)
        mine = bench.document_codings(document_id)
        assert look.document_id == document_id
        assert look.statements == whole[:3]
        assert look.codings == {sid: pairs for sid, pairs in mine.items() if sid in {r.id for r in whole[:3]}}
        assert look.latest_event == bench.latest_event() and look.latest_event.top > 0
    assert look.rest is not None
    rest, codings = look.rest.read()
    assert look.statements + rest == whole  # the two parts make the document, in order
    assert {**look.codings, **codings} == mine  # and the coder's codings on it, the last statement's too
    assert codings and all(sid in {r.id for r in rest} for sid in codings)


def test_a_short_document_is_read_whole(project_path: Path) -> None:
    look = first_look(project_path, "王")
    assert look is not None and look.rest is None
    assert len(look.statements) == look.documents[0].statements


def test_coder_name_is_cleaned_as_the_workbench_cleans_it(project_path: Path) -> None:
    look = first_look(project_path, "  王 ")
    assert look is not None and look.coder_name == "王"


@pytest.mark.parametrize(
    "case",
    ["unknown coder", "postgresql", "missing file", "not a database", "newer schema", "older schema", "empty name"],
)
def test_no_first_look_where_the_full_open_must_decide(project_path: Path, tmp_path: Path, case: str) -> None:
    db, coder = str(project_path), "王"
    if case == "unknown coder":
        coder = "新来的"  # creating a coder is a write: the full open does it
    elif case == "postgresql":
        db = "postgresql://someone@localhost:1/study"  # no server there
    elif case == "missing file":
        db = str(tmp_path / "nowhere.qcoder.db")
    elif case == "not a database":
        db = str(tmp_path / "notes.txt")
        Path(db).write_text("这不是数据库", encoding="utf-8")
    elif case in ("newer schema", "older schema"):
        with sqlite3.connect(project_path) as connection:
            revision = "ffffffffffff" if case == "newer schema" else None
            if revision:
                connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
            else:
                connection.execute("DROP TABLE alembic_version")
    elif case == "empty name":
        coder = "   "
    before = project_path.read_bytes()
    assert first_look(db, coder) is None
    assert project_path.read_bytes() == before  # looking never writes


def test_reading_needs_neither_sqlalchemy_nor_textual(project_path: Path) -> None:
    code = (
        "import sys; from qcoder.coding.first_look import first_look;"
        f"look = first_look({str(project_path)!r}, '王');"
        "print(look is not None, 'sqlalchemy' in sys.modules, 'textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]


@pytest.mark.parametrize("coder", ["研究者A", "研究者B"])
def test_first_look_of_the_sample_project_agrees_with_the_workbench(tmp_path: Path, coder: str) -> None:
    """On the real corpus and its coding (two coders, reviews, 59 codes): same state either way."""
    from qcoder.demo import load_demo

    path = tmp_path / "demo.qcoder.db"
    with open_project(path) as project:
        load_demo(project)
        bench = Workbench(project, coder)
        documents = bench.documents()
        first = documents[0].id
        whole, mine = bench.statements(first), bench.document_codings(first)
        codes, levels = bench.codes(), bench.levels()
    look = first_look(path, coder, first_statements=10)
    assert look is not None and look.rest is not None
    assert look.documents == documents and look.codes == codes and look.levels == levels
    assert sum(doc.reviewed_by_me for doc in look.documents) >= 2
    rest, codings = look.rest.read()
    assert look.statements + rest == whole and {**look.codings, **codings} == mine and mine
    assert all(look_row.text.strip() for look_row in look.statements)


def test_document_and_code_counts_equal_an_independent_count(db_url: str, tmp_path: Path) -> None:
    """The merged reads (statements with first headings, codings of all and of one coder) against ORM counts.

    The second document has its heading last, not first; 王 gives one statement two codes
    (it counts once towards his progress), 李 codes too (not his progress, but in the totals).
    """
    from sqlalchemy import func, select

    from qcoder.store.models import Code, Coder, Coding, Sentence

    _build(db_url, tmp_path)
    with open_project(db_url) as project:
        wang = Workbench(project, "王")
        second = wang.documents()[1].id
        statements = wang.statements(second)
        extra = wang.create_code("融资", 0)
        wang.code_statements([statements[0].id], extra.id)
        concept = next(c for c in wang.codes() if c.name == "揭榜挂帅")  # 创新主体 stays 李's alone
        wang.code_statements([statements[0].id], concept.id)
        documents, codes = wang.documents(), wang.codes()
        with project.session() as session:
            wang_id = session.scalar(select(Coder.id).where(Coder.name == "王"))
            for doc in documents:
                rows = session.execute(
                    select(Sentence.id, Sentence.ordinal, Sentence.kind, Sentence.text).where(
                        Sentence.document_id == doc.id
                    )
                ).all()
                headings = sorted((ordinal, text) for _, ordinal, kind, text in rows if kind == "heading")
                coded = set(
                    session.scalars(
                        select(Coding.sentence_id).where(
                            Coding.coder_id == wang_id, Coding.sentence_id.in_([r[0] for r in rows])
                        )
                    )
                )
                assert doc.statements == len(rows)
                assert doc.title == headings[0][1]  # the first heading, wherever it stands
                assert doc.coded_by_me == len(coded)
            assert documents[1].title == "一、研究意义" and documents[1].coded_by_me == 1  # two codes, one statement
            for code in codes:
                total = session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id))
                mine = session.scalar(
                    select(func.count())
                    .select_from(Coding)
                    .where(Coding.code_id == code.id, Coding.coder_id == wang_id)
                )
                assert (code.codings, code.mine) == (total, mine), code.name
            assert {c.name for c in codes} == set(session.scalars(select(Code.name)))
            assert any(c.codings > c.mine for c in codes) and any(c.mine == 0 and c.codings for c in codes)
