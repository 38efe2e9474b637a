"""Write ``data/v0001_project.qcoder``: a small project in the first released schema.

Run once, with the code of the release whose only migration is ``0001_baseline``:

    .venv/bin/python tests/reliability/make_v0001_fixture.py

It builds a project the way a research team would (import, code at every level, two
coders, reviews, relations, memos, an edit and an undo-style removal) and records what it
wrote in ``data/v0001_project.json``. ``test_migrations_from_v0001.py`` opens a copy with
every later qcoder and checks that all of it is still there. Never regenerate the fixture
with a later schema: then it would no longer test the upgrade path.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from qcoder.coding.workbench import Workbench  # noqa: E402
from qcoder.corpus.importer import import_path  # noqa: E402
from qcoder.store import schema  # noqa: E402
from qcoder.store.database import Project, open_project  # noqa: E402
from qcoder.store.models import (  # noqa: E402
    Base,
    Code,
    Coder,
    Coding,
    Document,
    DocumentReview,
    Event,
    Memo,
    Relation,
    Sentence,
    Setting,
)
from qcoder.store.settings import set_setting  # noqa: E402

BASELINE = "0001_baseline"
DATA = Path(__file__).resolve().parent / "data"
FIXTURE = DATA / "v0001_project.qcoder"
EXPECTED = DATA / "v0001_project.json"
SAMPLES = ROOT / "sample_corpus"


def build(project: Project, sources: Path) -> None:
    """The research work a team does in its first week."""
    brief = (SAMPLES / "004_7084b6461f86516c.txt").read_text(encoding="utf-8")[:1400]
    letter = (SAMPLES / "001_e25c449d6a8f1097.txt").read_text(encoding="utf-8")[:1000]
    (sources / "brief.txt").write_text(brief, encoding="utf-8")
    (sources / "letter-gb18030.txt").write_bytes(letter.encode("gb18030"))

    def settings(session: Any) -> None:
        set_setting(session, "user_words", ["创新联合体", "高新区"])
        set_setting(session, "relation_types", ["张力"])

    project.run(settings)
    import_path(project, sources / "brief.txt", attributes={"来源": "智库专报", "year": "2021"})
    import_path(project, sources / "letter-gb18030.txt", role="holdout")

    ana, bo = Workbench(project, "ana"), Workbench(project, "bo 王")
    d1, d2 = (doc.id for doc in ana.documents())
    s1 = [row.id for row in ana.statements(d1) if row.kind == "sentence"]
    s2 = [row.id for row in ana.statements(d2) if row.kind == "sentence"]

    core = ana.create_code("创新联合体赋能新质生产力", level=3, colour="#AA3300", definition="核心范畴")
    main = ana.create_code("产学研协同", level=2, parent_id=core.id)
    cat_a = ana.create_code("政策支持", level=1, parent_id=main.id, definition="政府的制度供给")
    cat_b = bo.create_code("要素集聚", level=1, parent_id=main.id)
    concepts = [
        ana.create_code("园区规划", parent_id=cat_a.id, code_sentences=s1[:2]),
        ana.create_code("人才引进", parent_id=cat_b.id),
        bo.create_code("资金投入", parent_id=cat_b.id),
        bo.create_code("开放合作"),  # not yet placed in the hierarchy
    ]
    ana.code_statements(s1[2:6], concepts[1].id)
    ana.code_statements(s1[3:5], cat_a.id)
    bo.code_statements(s1[1:5], concepts[1].id)
    bo.code_statements(s1[5:8], concepts[2].id)
    bo.code_statements(s2[:3], concepts[3].id)
    bo.uncode_statements(s1[4:5], concepts[1].id)  # a second thought
    ana.rename_code(concepts[0].id, "园区空间规划")  # version 2
    ana.review(d1)
    bo.review(d1)
    bo.review(d2)

    causal = ana.add_relation(cat_a.id, cat_b.id, "causal", "政策吸引要素")
    bo.add_relation(cat_b.id, cat_a.id, "张力", "要素过多反而稀释政策")
    ana.add_memo("先编码再比较。", type_="operational", title="工作方式")
    ana.add_memo("政策是必要条件吗？", type_="theoretical", target="code", target_id=cat_a.id, title="政策")
    bo.add_memo("这一句很关键。", type_="code", target="sentence", target_id=s1[1])
    memo = bo.add_memo("两份材料口径不同。", target="document", target_id=d2)
    bo.update_memo(memo, text="两份材料口径不同，需核对。")
    ana.add_memo("因果方向待验证。", target="relation", target_id=causal.id)
    ana.set_storyline("创新联合体通过产学研协同赋能新质生产力。", core_code_id=core.id)


def describe(project: Project) -> dict[str, Any]:
    """Counts of every table and the exact values the migration test compares."""
    with project.session() as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        guid = dict(s.execute(select(Code.id, Code.guid)).all())
        coder = dict(s.execute(select(Coder.id, Coder.name)).all())
        doc_label = dict(s.execute(select(Document.id, Document.label)).all())
        sentence_label = dict(s.execute(select(Sentence.id, Sentence.label)).all())
        relation_guid = dict(s.execute(select(Relation.id, Relation.guid)).all())
        statements = []
        for doc_id in doc_label:
            rows = list(s.scalars(select(Sentence).where(Sentence.document_id == doc_id).order_by(Sentence.ordinal)))
            statements += [
                {"label": r.label, "kind": r.kind, "start": r.start, "end": r.end, "text": r.text, "tokens": r.tokens}
                for r in (*rows[:3], *rows[-1:])
            ]

        def memo_target(m: Memo) -> list[Any]:
            if m.code_id:
                return ["code", guid[m.code_id]]
            if m.sentence_id:
                return ["sentence", sentence_label[m.sentence_id]]
            if m.document_id:
                return ["document", doc_label[m.document_id]]
            if m.relation_id:
                return ["relation", relation_guid[m.relation_id]]
            return ["project", None]

        return {
            "revision": schema.current_revision(project.engine),
            "counts": counts,
            "settings": {row.key: row.value for row in s.scalars(select(Setting).order_by(Setting.key))},
            "coders": sorted(coder.values()),
            "documents": [
                {
                    "label": d.label,
                    "name": d.name,
                    "sha256": d.sha256,
                    "encoding": d.encoding,
                    "role": d.role,
                    "attributes": d.attributes,
                    "chars": len(d.text),
                    "raw_bytes": len(d.raw_bytes),
                    "imported_at": d.imported_at.isoformat(),
                }
                for d in s.scalars(select(Document).order_by(Document.id))
            ],
            "statements": statements,
            "codes": [
                {
                    "guid": c.guid,
                    "name": c.name,
                    "level": c.level,
                    "parent": guid.get(c.parent_id),
                    "definition": c.definition,
                    "colour": c.colour,
                    "version": c.version,
                    "created_by": coder.get(c.created_by_id),
                }
                for c in s.scalars(select(Code).order_by(Code.id))
            ],
            "codings": sorted(
                [sentence_label[sid], guid[cid], coder[who]]
                for sid, cid, who in s.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id))
            ),
            "reviews": sorted(
                [coder[who], doc_label[doc]]
                for who, doc in s.execute(select(DocumentReview.coder_id, DocumentReview.document_id))
            ),
            "relations": [
                {
                    "guid": r.guid,
                    "source": guid[r.source_id],
                    "target": guid[r.target_id],
                    "type": r.type,
                    "note": r.note,
                    "coder": coder.get(r.coder_id),
                }
                for r in s.scalars(select(Relation).order_by(Relation.id))
            ],
            "memos": [
                {
                    "guid": m.guid,
                    "type": m.type,
                    "title": m.title,
                    "text": m.text,
                    "coder": coder.get(m.coder_id),
                    "target": memo_target(m),
                }
                for m in s.scalars(select(Memo).order_by(Memo.id))
            ],
            "events": [
                [e.action, coder.get(e.coder_id), e.at.isoformat()] for e in s.scalars(select(Event).order_by(Event.id))
            ],
        }


def main() -> None:
    if schema.head_revision() != BASELINE:
        sys.exit(
            f"error: this checkout's schema is {schema.head_revision()}, not {BASELINE}; the fixture must be "
            "written by the first released schema (check out that release to regenerate it)"
        )
    import tempfile

    DATA.mkdir(exist_ok=True)
    FIXTURE.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open_project(FIXTURE) as project:
        build(project, Path(tmp))
        expected = describe(project)
    # One self-contained, compact file: no -wal/-shm beside it in the repository.
    connection = sqlite3.connect(FIXTURE)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA page_size = 1024")  # ~40 tables and indexes of a few rows each
        connection.execute("VACUUM")
    finally:
        connection.close()
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE.relative_to(ROOT)} ({FIXTURE.stat().st_size:,} bytes) and {EXPECTED.relative_to(ROOT)}")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in expected["counts"].items()))


if __name__ == "__main__":
    main()
