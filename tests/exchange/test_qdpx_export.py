"""Project export: a schema-valid project.qde, texts in sources/, stable GUIDs and bytes."""

from __future__ import annotations

import io
import json
import zipfile

from exchange_helpers import DOC_A, assert_valid
from lxml import etree
from sqlalchemy import func, select

from qcoder.exchange import refi
from qcoder.exchange.qdpx_export import build_project, export_project, project_name
from qcoder.store.database import Project
from qcoder.store.models import Coder, Document, Memo, Sentence

NS = {"q": refi.PROJECT_NS}


def test_project_qde_is_schema_valid_and_complete(rich_project: Project) -> None:
    with rich_project.session() as s:
        qde, files = build_project(s, name="研究")
        doc_a = s.scalar(select(Document).where(Document.name == "访谈A"))
        coded = list(s.scalars(select(Sentence).where(Sentence.document_id == doc_a.id).order_by(Sentence.ordinal)))
        alice = s.scalar(select(Coder).where(Coder.name == "alice"))
    assert_valid(qde, "Project.xsd")
    root = etree.fromstring(qde)
    assert [child.tag.split("}")[1] for child in root] == [
        "Users",
        "CodeBook",
        "Variables",
        "Sources",
        "Notes",
        "Links",
        "Sets",
        "NoteRef",
    ]
    assert [u.get("name") for u in root.findall("q:Users/q:User", NS)] == ["alice", "bob"]
    assert len(root.findall(".//q:CodeBook//q:Code", NS)) == 6
    source = root.find(f"q:Sources/q:TextSource[@guid='{refi.document_guid(doc_a.sha256)}']", NS)
    assert source.get("plainTextPath") == f"internal://{source.get('guid')}.txt"
    assert files[f"sources/{source.get('guid')}.txt"].decode() == "\n".join(DOC_A)
    selections = source.findall("q:PlainTextSelection", NS)
    concept = root.find(".//q:Code[@name='主体地位']", NS).get("guid")
    loose = root.find(".//q:Code[@name='成果转化']", NS).get("guid")
    alice_guid, bob_guid = refi.coder_guid("alice"), refi.coder_guid("bob")
    s1, s2, s3, s4 = coded

    def shape(selection: etree._Element) -> tuple[object, ...]:
        codings = selection.findall("q:Coding", NS)
        return (
            selection.get("name"),
            int(selection.get("startPosition")),
            int(selection.get("endPosition")),
            selection.get("creatingUser"),
            [(c.get("creatingUser"), c.find("q:CodeRef", NS).get("targetGUID")) for c in codings],
        )

    # alice coded statements 1 and 2 with 主体地位: one run; bob coded 2 with it too: his own selection;
    # bob's 成果转化 on statement 4; statement 3 carries a memo only
    assert [shape(x) for x in selections] == [
        ("D01-S001–S002", s1.start, s2.end, alice_guid, [(alice_guid, concept)]),
        ("D01-S002", s2.start, s2.end, bob_guid, [(bob_guid, concept)]),
        ("D01-S004", s4.start, s4.end, bob_guid, [(bob_guid, loose)]),
        ("D01-S003", s3.start, s3.end, alice_guid, []),
    ]
    assert len(selections[3].findall("q:NoteRef", NS)) == 1
    text = "\n".join(DOC_A)
    assert text[s1.start : s2.end] == "\n".join(DOC_A[:2])
    assert refi.coder_guid(alice.name) == root.find("q:Users/q:User", NS).get("guid")
    links = root.findall("q:Links/q:Link", NS)
    assert sorted((link.get("name"), link.get("direction")) for link in links) == [
        ("causal", "OneWay"),
        ("similarity", "Associative"),
    ]
    set_names = [s.get("name") for s in root.findall("q:Sets/q:Set", NS)]
    assert set_names[:4] == [
        refi.level_set_name(r, n, e)
        for r, n, e in [
            (0, "概念", "concept"),
            (1, "初始范畴", "initial category"),
            (2, "主范畴", "main category"),
            (3, "核心范畴", "core category"),
        ]
    ]
    assert "reviewed by alice" in set_names and "hold-out documents (saturation check)" in set_names
    side = json.loads(files[f"qcoder/documents/{source.get('guid')}.json"])
    assert side["label"] == "D01" and [st[:3] for st in side["statements"]] == [[x.start, x.end, x.kind] for x in coded]


def test_zip_layout_and_stable_bytes(rich_project: Project) -> None:
    with rich_project.session() as s:
        first, second = export_project(s, name="p"), export_project(s, name="p")
    assert first == second  # stable GUIDs, fixed zip dates: re-exports are identical
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names[0] == "project.qde"
    with rich_project.session() as s:
        memos = s.scalar(select(func.count()).select_from(Memo))
    # two documents' texts, and each memo's text as its Note's plainTextPath
    assert sum(n.startswith("sources/") and n.endswith(".txt") for n in names) == 2 + memos
    assert all(".." not in n and not n.startswith("/") for n in names)


def test_empty_project_exports_a_valid_minimal_file(project: Project) -> None:
    with project.session() as s:
        qde, _files = build_project(s, name="empty")
    assert_valid(qde, "Project.xsd")
    assert len(etree.fromstring(qde)) == 0


def test_project_name_from_url() -> None:
    assert project_name("sqlite:////home/r/study.qcoder.db") == "study"
    assert project_name("postgresql+psycopg://u@/thesis?host=/tmp") == "thesis"
