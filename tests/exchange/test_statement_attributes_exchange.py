"""Statement attributes (speaker, time, page, question, row, level) survive a .qdpx export and import.

REFI-QDA has no place for a statement's own attributes, so qcoder keeps them in its side file
``qcoder/project.json``; a project exported and imported again — also after another tool (pyqdpx)
re-saved the file — must give every statement the attributes it had.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from exchange_helpers import assert_valid
from sqlalchemy import select

from qcoder.coding.codes import create_code
from qcoder.corpus.importer import import_path
from qcoder.corpus.types import PipelineOptions
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence

SOURCES = Path(__file__).parents[1] / "data" / "sources"
OPTIONS = PipelineOptions(text_columns=("开放题1", "开放题2"), id_column="编号")

Attributes = dict[str, list[tuple[int, int, dict[str, str]]]]


def _fill(project: Project) -> None:
    """A transcript (speaker, time), a focus group (voices), a spreadsheet (question, row per case),
    Markdown (heading levels) and a PDF (page): every kind of statement attribute the readers give."""
    for name in ("interview.srt", "focus_group.vtt", "answers.xlsx", "interview.md", "policy.pdf"):
        import_path(project, SOURCES / name, options=OPTIONS)


def _attributes(project: Project) -> Attributes:
    """Per document (by its SHA-256: labels may change): every statement's span and attributes."""
    out: Attributes = {}
    with project.session() as s:
        rows = s.execute(
            select(Document.sha256, Sentence.start, Sentence.end, Sentence.attributes)
            .join(Document, Document.id == Sentence.document_id)
            .order_by(Document.sha256, Sentence.start)
        )
        for sha, start, end, attributes in rows:
            out.setdefault(sha, []).append((start, end, dict(attributes or {})))
    return out


def _export(project: Project, path: Path) -> bytes:
    with project.session() as s:
        data = export_project(s, name="属性")
    path.write_bytes(data)
    return data


def _count(attributes: Attributes, key: str) -> int:
    return sum(1 for entries in attributes.values() for _s, _e, a in entries if key in a)


def test_statement_attributes_round_trip(project: Project, second_project: Project, tmp_path: Path) -> None:
    _fill(project)
    before = _attributes(project)
    # the independent count: statements carrying each attribute, as the readers gave them
    figures = {key: _count(before, key) for key in ("speaker", "time", "question", "row", "level", "page")}
    assert all(n > 0 for n in figures.values()), figures
    out = tmp_path / "attrs.qdpx"
    data = _export(project, out)
    side = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("qcoder/project.json"))
    recorded = sum(len(entries) for entries in side["statement_attributes"].values())
    assert recorded == sum(1 for entries in before.values() for *_span, a in entries if a)
    assert_valid(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"), "Project.xsd")  # REFI stays valid

    report: ImportReport = second_project.run(lambda s: import_project(s, out))
    after = _attributes(second_project)
    assert after == before
    assert {key: _count(after, key) for key in figures} == figures
    assert f"statement attributes (speaker, time, page …) restored on {recorded} statement(s)" in report.lines()

    # importing the same file again changes nothing and says nothing about attributes
    again: ImportReport = second_project.run(lambda s: import_project(s, out))
    assert again.documents_new == 0 and _attributes(second_project) == before
    assert not any("statement attribute" in line for line in again.lines())


def test_attributes_survive_another_tool_re_saving_the_file(
    project: Project, second_project: Project, tmp_path: Path
) -> None:
    """pyqdpx (a REFI-QDA library written by others) reads the file, a colleague adds a coding, the
    file is saved again: qcoder's side file stays in the zip and the attributes come back."""
    from pyqdpx import QDPX, User

    for name in ("interview.srt", "focus_group.vtt"):
        import_path(project, SOURCES / name)
    project.run(lambda s: create_code(s, "助餐", level=0))
    before = _attributes(project)
    out = tmp_path / "shared.qdpx"
    _export(project, out)
    package = QDPX(str(out))
    qde = package.get_project()
    assert len(qde.sources) == 2
    source = next(s for s in qde.sources.values() if "社区" in s.text_content)
    start = source.text_content.index("助餐点")
    code = qde.find_code("助餐")
    colleague = User("Cai")
    qde.add_user(colleague)
    source.add_selection(start, start + len("助餐点"), code, colleague)
    package.save_project()
    report: ImportReport = second_project.run(lambda s: import_project(s, out))
    assert report.documents_new == 2 and report.codings == 1  # the colleague's coding arrived too
    assert _attributes(second_project) == before
    speakers = {a["speaker"] for entries in before.values() for *_span, a in entries if "speaker" in a}
    assert speakers == {"主持人", "王阿姨", "李师傅", "访谈者", "受访者"}


def test_records_that_match_no_statement_are_counted_not_lost_silently(
    project: Project, second_project: Project, tmp_path: Path
) -> None:
    import_path(project, SOURCES / "interview.srt")
    data = _export(project, tmp_path / "a.qdpx")
    members = {
        info.filename: zipfile.ZipFile(io.BytesIO(data)).read(info)
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist()
    }
    side = json.loads(members["qcoder/project.json"])
    [(_guid, entries)] = side["statement_attributes"].items()
    entries[0][1] += 1  # a span no statement has (the file was edited by hand)
    entries.append(["not", "a", "record"])
    members["qcoder/project.json"] = json.dumps(side, ensure_ascii=False).encode()
    edited = tmp_path / "edited.qdpx"
    with zipfile.ZipFile(edited, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    report: ImportReport = second_project.run(lambda s: import_project(s, edited))
    lines = report.lines()
    assert f"statement attributes (speaker, time, page …) restored on {len(entries) - 2} statement(s)" in lines
    assert any(line.startswith("1 statement attribute record(s) match no statement") for line in lines)
    assert any(
        line.startswith("1 statement attribute record(s) in qcoder/project.json are unreadable") for line in lines
    )
    with second_project.session() as s:
        bare = s.scalars(select(Sentence.label).where(Sentence.ordinal == 1)).all()
        first = s.scalar(select(Sentence.attributes).where(Sentence.ordinal == 1))
    assert len(bare) == 1 and first == {}  # that one statement stays without, nothing else is touched


def test_a_merge_brings_statement_attributes_along(project: Project, second_project: Project) -> None:
    """A colleague's copy merged in: its transcript's statements keep speaker and time."""
    from qcoder.exchange.merge import apply_merge

    for name in ("interview.srt", "answers.xlsx"):
        import_path(second_project, SOURCES / name, options=OPTIONS)
    before = _attributes(second_project)
    assert _count(before, "speaker") > 0 and _count(before, "question") > 0
    apply_merge(project, second_project)
    assert _attributes(project) == before
