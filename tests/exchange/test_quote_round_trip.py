"""Quote spans through REFI-QDA: a file's exact selections come back exactly.

Files are built here as another tool writes them (selections inside one statement, across
three, two coders on one span, Chinese with emoji and an Extension-B ideograph); import →
export → import must give the same codings with the same quotes, and the export must hold
the same selections the file came with.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from exchange_helpers import WIDE_TEXT, wide_qdpx, wide_spans
from factories import add_document
from lxml import etree
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import import_project
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Sentence

NS = {"q": "urn:QDA-XML:project:1.0"}

# (the words a researcher selected, code, user)
SELECTIONS = [
    ("Q: How did the 🏭 consortium start?", "起源", "Ana"),  # exactly one statement
    ("family firm joined first. Funding came later 👍.\nQ: What", "资金", "Ana"),  # across three statements
    ("partners 🤝 shared", "合作", "Ana"),  # two coders on the same span
    ("partners 🤝 shared", "合作", "Ben"),
    ("创新联合体很重要", "创新联合体", "Ben"),  # inside one statement, after an Extension-B character
    ("𠮷田说", "企业", "Ana"),
    ("🎉🎉 最后", "转化", "Ben"),
]


def codings(project: Project) -> set[tuple[str, str, str, str | None]]:
    """(statement label, code, coder, quoted words or None for the whole statement)."""
    with project.session() as s:
        rows = s.execute(
            select(Sentence.label, Sentence.text, Code.name, Coder.name, Coding.quote_start, Coding.quote_end)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        )
        return {
            (label, code, coder, None if start is None else text[start:end])
            for label, text, code, coder, start, end in rows
        }


def selections(package: bytes) -> set[tuple[int, int, str, str]]:
    """(start, end, code name, user name) of every coding selection in a .qdpx."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".qde"))
        root = etree.fromstring(archive.read(name))
    users = {u.get("guid").lower().strip("{}"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    codes = {c.get("guid").lower().strip("{}"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
    found = set()
    for selection in root.iterfind(".//q:PlainTextSelection", NS):
        for coding in selection.iterfind("q:Coding", NS):
            ref = coding.find("q:CodeRef", NS)
            user = coding.get("creatingUser") or selection.get("creatingUser")
            found.add(
                (
                    int(selection.get("startPosition")),
                    int(selection.get("endPosition")),
                    codes[ref.get("targetGUID").lower().strip("{}")],
                    users[user.lower().strip("{}")],
                )
            )
    return found


def load(project: Project, data: bytes, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    project.run(lambda s: import_project(s, path))


def test_selections_come_back_exactly(project: Project, second_project: Project, tmp_path: Path) -> None:
    original = wide_qdpx(unit="codepoints", origin="OtherTool 2.0", selections=SELECTIONS)
    load(project, original, tmp_path, "in.qdpx")
    first = codings(project)
    # the selection across three statements: three codings whose quotes together are the selection
    three = sorted((c for c in first if c[1] == "资金"), key=lambda c: c[0])
    assert three == [
        ("D01-S004", "资金", "Ana", "family firm joined first."),
        ("D01-S005", "资金", "Ana", None),
        ("D01-S006", "资金", "Ana", "Q: What"),
    ]
    assert ("D01-S010", "创新联合体", "Ben", "创新联合体很重要") in first
    assert ("D01-S010", "企业", "Ana", "𠮷田说") in first
    assert ("D01-S012", "转化", "Ben", "🎉🎉 最后") in first
    assert {c for c in first if c[1] == "合作"} == {
        ("D01-S009", "合作", "Ana", "partners 🤝 shared"),
        ("D01-S009", "合作", "Ben", "partners 🤝 shared"),
    }
    assert ("D01-S002", "起源", "Ana", None) in first
    assert len(first) == 9  # 7 selections, one of them on three statements

    exported = _export(project)
    expected = {(start, end, code, user) for start, end, code, user in wide_spans(WIDE_TEXT, SELECTIONS)}
    assert selections(exported) == expected  # same selections as the file came with

    load(second_project, exported, tmp_path, "back.qdpx")
    assert codings(second_project) == first
    assert selections(_export(second_project)) == expected


def test_nvivo_utf16_positions_give_the_same_quotes(project: Project, second_project: Project, tmp_path: Path) -> None:
    load(project, wide_qdpx(unit="codepoints", origin="OtherTool 2.0", selections=SELECTIONS), tmp_path, "a.qdpx")
    load(second_project, wide_qdpx(unit="utf16", origin="NVivo 15", selections=SELECTIONS), tmp_path, "b.qdpx")
    assert codings(project) == codings(second_project)


def _export(project: Project) -> bytes:
    with project.session() as s:
        return export_project(s, name="round trip")


def test_adjacent_whole_statement_codings_are_one_selection_and_a_quote_breaks_the_run(project: Project) -> None:
    add_document(project, ["一是创新。", "二是合作。", "三是转化。", "四是监管。"])
    bench = Workbench(project, "王")
    added, _created = bench.code_named([1, 2, 3, 4], "要点")
    assert len(added) == 4
    other = Workbench(project, "李")
    other.code_named([2, 3], "要点")
    selected = selections(_export(project))
    # the statements are lines of five characters: 0-5, 6-11, 12-17, 18-23
    assert {s for s in selected if s[3] == "王"} == {(0, 23, "要点", "王")}
    assert {s for s in selected if s[3] == "李"} == {(6, 17, "要点", "李")}
    code_id = next(c.id for c in bench.codes() if c.name == "要点")
    bench.code_quote(2, code_id, (0, 4))  # "二是合作" without its full stop: the run stops there
    selected = selections(_export(project))
    assert {s for s in selected if s[3] == "王"} == {(0, 10, "要点", "王"), (12, 23, "要点", "王")}
