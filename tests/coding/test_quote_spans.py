"""Quote spans: a coding names the exact words it codes inside its statement.

The statement stays the unit of counts; the quote travels through undo/redo and the log.
"""

from __future__ import annotations

from pathlib import Path

from factories import add_document, qc
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project, open_project
from qcoder.store.models import Coding, Event, Sentence

STATEMENTS = ["各地推进新基建，新基建带动投资。", "企业主体地位👍𠀀更加突出。", "三是加强监管。"]


def quotes(project: Project) -> dict[tuple[str, str], tuple[int | None, int | None, str]]:
    """(statement label, coder) → (start, end, quoted text)."""
    with project.session() as s:
        rows = s.execute(
            select(Sentence.label, Sentence.text, Coding.quote_start, Coding.quote_end, Coding.coder_id).join(
                Sentence, Sentence.id == Coding.sentence_id
            )
        )
        return {
            (label, str(coder)): (start, end, text[start:end] if start is not None else text)
            for label, text, start, end, coder in rows
        }


def test_cli_quote_codes_the_exact_words_and_refuses_ambiguity(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    with open_project(db) as project:
        add_document(project, STATEMENTS)
    code, out, err = qc("code", "D01-S001", "--code", "新基建", "--coder", "王", "--quote", "新基建", "--db", db)
    assert code != 0 and err.count("\n") == 1 and "--occurrence" in err and "2 times" in err
    with open_project(db) as project:
        assert quotes(project) == {}
    code, out, err = qc(
        "code", "D01-S001", "--code", "新基建", "--coder", "王", "--quote", "新基建", "--occurrence", "2", "--db", db
    )
    assert code == 0, err
    assert "[8, 11)" in out
    code, out, err = qc("code", "D01-S002", "--code", "主体", "--coder", "王", "--quote", "主体地位👍𠀀", "--db", db)
    assert code == 0, err
    code, _out, err = qc("code", "D01-S003", "--code", "主体", "--coder", "王", "--quote", "不在这里", "--db", db)
    assert code != 0 and "does not occur" in err and err.count("\n") == 1
    with open_project(db) as project:
        got = quotes(project)
    assert got[("D01-S001", "1")] == (8, 11, "新基建")
    # code points, not UTF-16: the emoji and the Extension-B character are one each
    assert got[("D01-S002", "1")] == (2, 8, "主体地位👍𠀀")
    assert len(got) == 2


def test_quote_survives_undo_and_redo_and_is_logged(project: Project) -> None:
    add_document(project, STATEMENTS)
    bench = Workbench(project, "王")
    span, changed, created = bench.quote_named(2, "主体", "企业")
    assert (span, changed, created) == ((0, 2), True, True)
    code_id = next(c.id for c in bench.codes() if c.name == "主体")
    assert bench.code_quote(2, code_id, (2, 6)) is True  # a new span on the same coding
    assert quotes(project)[("D01-S002", str(bench.coder_id))][2] == "主体地位"
    with project.session() as s:
        logged = [(e.action, e.payload) for e in s.scalars(select(Event).order_by(Event.id))]
    assert ("coding.add", {"code_id": code_id, "sentence_ids": [2], "quotes": {"2": [0, 2]}}) in logged
    assert any(a == "coding.quote" and p["old"] == [0, 2] and p["new"] == [2, 6] for a, p in logged)
    bench.undo()
    assert quotes(project)[("D01-S002", str(bench.coder_id))][2] == "企业"
    bench.undo()
    assert quotes(project) == {}
    bench.redo()
    assert quotes(project)[("D01-S002", str(bench.coder_id))][2] == "企业"
    bench.redo()
    assert quotes(project)[("D01-S002", str(bench.coder_id))][2] == "主体地位"
    # uncoding logs the span, so undoing the uncode brings the quote back
    bench.uncode_statements([2], code_id)
    assert quotes(project) == {}
    bench.undo()
    assert quotes(project)[("D01-S002", str(bench.coder_id))][:2] == (2, 6)


def test_a_span_covering_the_whole_statement_is_a_whole_statement_coding(project: Project) -> None:
    add_document(project, STATEMENTS)
    bench = Workbench(project, "王")
    span, _changed, _created = bench.quote_named(3, "监管", STATEMENTS[2])
    assert span == (0, len(STATEMENTS[2]))
    assert quotes(project)[("D01-S003", str(bench.coder_id))][:2] == (None, None)


def test_existing_codings_become_whole_statement_codings_on_upgrade(db_url: str) -> None:
    """A project made before quote spans keeps every coding, as a whole-statement coding."""
    from sqlalchemy import text

    from qcoder.store import schema
    from qcoder.store.database import make_engine

    engine = make_engine(db_url)
    try:
        schema.upgrade(engine, "0002_undo_history")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO coders (id, name, created_at) VALUES (1, '王', CURRENT_TIMESTAMP)"))
            conn.execute(
                text(
                    "INSERT INTO documents (id, label, name, sha256, raw_bytes, encoding, original_text, text,"
                    " attributes, role, import_report, imported_at) VALUES (1, 'D01', 'd', 'x', :raw, 'utf-8',"
                    " '甲。', '甲。', '{}', 'coding', '[]', CURRENT_TIMESTAMP)"
                ),
                {"raw": "甲。".encode()},
            )
            conn.execute(
                text(
                    'INSERT INTO sentences (id, document_id, ordinal, label, start, "end", kind, text, tokens,'
                    " cell_width) VALUES (1, 1, 1, 'D01-S001', 0, 2, 'sentence', '甲。', '', 4)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO codes (id, guid, name, level, definition, created_at, updated_at, version)"
                    " VALUES (1, 'g', '甲', 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO codings (id, sentence_id, code_id, coder_id, created_at)"
                    " VALUES (7, 1, 1, 1, CURRENT_TIMESTAMP)"
                )
            )
        schema.upgrade(engine, "0004_quote_spans")
        with engine.connect() as conn:
            rows = list(conn.execute(text("SELECT id, quote_start, quote_end FROM codings")))
        assert [tuple(r) for r in rows] == [(7, None, None)]
        schema.downgrade(engine, "0002_undo_history")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM codings")).scalar() == 1
    finally:
        engine.dispose()


def test_exemplar_tables_and_comparison_show_the_quote(project: Project) -> None:
    from qcoder.analysis.tables import examples

    add_document(project, STATEMENTS)
    bench = Workbench(project, "王")
    bench.quote_named(2, "主体", "主体地位")
    bench.code_named([3], "监管")
    code_id = next(c.id for c in bench.codes() if c.name == "主体")
    with project.session() as s:
        found = examples(s)
    quoted = found[code_id]
    assert quoted.quote == "主体地位" and quoted.cell("zh") == "“主体地位”（D01-S002）"
    whole = next(e for cid, e in found.items() if cid != code_id)
    assert whole.quote is None and whole.cell("zh") == f"“{STATEMENTS[2]}”（D01-S003）"
    rows = bench.comparison(code_id)
    assert [(r.label, r.text, r.quote) for r in rows] == [("D01-S002", STATEMENTS[1], "主体地位")]


def test_coding_bundles_carry_the_quote(tmp_path: Path) -> None:
    """qcoder's own bundle (codes, codings, memos as JSON) keeps quote spans, and projects without them read as before."""
    from qcoder.exchange.bundle import apply_bundle, dump_bundle

    with open_project(str(tmp_path / "a.qcoder")) as first, open_project(str(tmp_path / "b.qcoder")) as second:
        add_document(first, STATEMENTS)
        add_document(second, STATEMENTS)
        bench = Workbench(first, "王")
        bench.quote_named(2, "主体", "👍𠀀")
        bench.code_named([3], "监管")
        data = dump_bundle(first)
        assert [c.get("quote") for c in data["codings"]] == [[6, 8], None]
        second.run(lambda s: apply_bundle(s, data))
        assert set(quotes(second).values()) == set(quotes(first).values())
        assert (6, 8, "👍𠀀") in quotes(second).values()
