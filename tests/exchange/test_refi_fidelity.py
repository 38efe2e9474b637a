"""What a round trip through another tool must keep: documents not doubled, GUIDs, memos
other tools can read, creation times, exemplars; and the errors and reports of odd files."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from exchange_helpers import SOURCE, U_ANA, foreign_qde, foreign_qdpx, make_zip, row_counts
from lxml import etree
from sqlalchemy import select

from qcoder.errors import QcoderError
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project
from qcoder.store.models import Code, Coding, Document, Memo, Relation, Sentence

NS = {"q": "urn:QDA-XML:project:1.0"}


def run_import(project: Project, data: bytes, tmp_path: Path, name: str = "in.qdpx") -> ImportReport:
    path = tmp_path / name
    path.write_bytes(data)
    return project.run(lambda s: import_project(s, path))


def export(project: Project) -> bytes:
    with project.session() as s:
        return export_project(s, name="p")


def members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def as_other_tool(package: bytes) -> bytes:
    """What a tool that does not know qcoder hands back: no qcoder/ record, texts with a BOM and CR-LF."""
    kept = {}
    for name, data in members(package).items():
        if name.startswith("qcoder/"):
            continue
        if name.startswith("sources/"):
            data = b"\xef\xbb\xbf" + data.decode("utf-8").replace("\n", "\r\n").encode("utf-8")
        kept[name] = data
    return make_zip(kept)


def test_documents_back_from_another_tool_are_matched_by_text_not_doubled(
    rich_project: Project, tmp_path: Path
) -> None:
    before = row_counts(rich_project)
    report = run_import(rich_project, as_other_tool(export(rich_project)), tmp_path)
    assert report.documents_new == 0 and report.documents_existing == 2 and report.documents_by_text == 2
    assert any("matched by their text" in line for line in report.lines())
    after = row_counts(rich_project)
    assert after["documents"] == before["documents"] and after["codings"] == before["codings"]


def test_other_tools_source_and_user_guids_are_given_back(project: Project, tmp_path: Path) -> None:
    run_import(project, foreign_qdpx(), tmp_path)
    root = etree.fromstring(members(export(project))["project.qde"])
    sources = [s.get("guid") for s in root.iterfind(".//q:TextSource", NS)]
    users = {u.get("name"): u.get("guid") for u in root.iterfind(".//q:User", NS)}
    assert sources == [SOURCE.lower()]
    assert users["Ana"] == U_ANA.lower()


def test_source_without_name_is_named_after_its_file(project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace('name="Breakfast.txt" ', "")
    run_import(project, foreign_qdpx(qde), tmp_path)
    with project.session() as s:
        assert s.scalar(select(Document.name)) == "breakfast.txt"


def test_memos_are_notes_with_files_and_statement_memos_sit_on_their_source_too(
    rich_project: Project, second_project: Project, tmp_path: Path
) -> None:
    package = export(rich_project)
    files = members(package)
    root = etree.fromstring(files["project.qde"])
    with rich_project.session() as s:
        memos = {m.guid: m for m in s.scalars(select(Memo))}
        on_statement = next(m for m in memos.values() if m.sentence_id is not None)
    for note in root.iterfind(".//q:Notes/q:Note", NS):
        guid = note.get("guid")
        if guid in memos:
            path = note.get("plainTextPath")
            assert path == f"internal://{guid}.txt"
            assert files[f"sources/{guid}.txt"].decode("utf-8") == memos[guid].text
            assert note.findtext("q:PlainTextContent", namespaces=NS) == memos[guid].text
    source_refs = {r.get("targetGUID") for r in root.iterfind(".//q:TextSource/q:NoteRef", NS)}
    assert on_statement.guid in source_refs
    # qcoder reads it back onto the statement, once, without a second "comment" memo
    report = run_import(second_project, package, tmp_path)
    assert not any("referred to from" in line for line in report.lines())
    with second_project.session() as s:
        back = s.scalar(select(Memo).where(Memo.guid == on_statement.guid))
        assert back is not None and back.sentence_id is not None
        assert s.scalar(select(Memo).where(Memo.title == "comment")) is None
        assert len(list(s.scalars(select(Memo)))) == len(memos)


def test_creation_times_and_exemplars_travel(rich_project: Project, second_project: Project, tmp_path: Path) -> None:
    then = datetime(2021, 5, 4, 3, 2, 1, tzinfo=UTC)

    def age(s) -> None:  # type: ignore[no-untyped-def]
        for model in (Code, Coding, Memo, Relation):
            for row in s.scalars(select(model)):
                row.created_at = then
        code = s.scalar(select(Code).where(Code.name == "主体地位"))
        code.exemplar_sentence_id = s.scalar(select(Sentence.id).where(Sentence.label == "D01-S002"))

    rich_project.run(age)
    run_import(second_project, export(rich_project), tmp_path)
    with second_project.session() as s:
        for model in (Code, Coding, Memo, Relation):
            times = {row.created_at for row in s.scalars(select(model))}
            assert times == {then}, model.__name__
        code = s.scalar(select(Code).where(Code.name == "主体地位"))
        assert code is not None and code.exemplar_sentence_id is not None
        assert s.get(Sentence, code.exemplar_sentence_id).label == "D01-S002"  # type: ignore[union-attr]


def test_times_from_another_tool_are_kept(project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace(
        f'<Note guid="CE15250D-46AD-42C2-B90F-A509B8D64EC8" name="On milk" creatingUser="{U_ANA}">',
        f'<Note guid="CE15250D-46AD-42C2-B90F-A509B8D64EC8" name="On milk" creatingUser="{U_ANA}" '
        'creationDateTime="2019-02-03T04:05:06Z">',
    )
    qde = qde.replace(
        '<Coding guid="445A6AEC-1400-4502-919D-0867832FF211" creatingUser',
        '<Coding guid="445A6AEC-1400-4502-919D-0867832FF211" creationDateTime="2018-01-02T03:04:05Z" creatingUser',
    )
    run_import(project, foreign_qdpx(qde), tmp_path)
    with project.session() as s:
        memo = s.scalar(select(Memo).where(Memo.title == "On milk"))
        assert memo is not None and memo.created_at == datetime(2019, 2, 3, 4, 5, 6, tzinfo=UTC)
        times = {c.created_at for c in s.scalars(select(Coding))}
        assert datetime(2018, 1, 2, 3, 4, 5, tzinfo=UTC) in times


def test_an_error_in_one_line_xml_names_the_element(project: Project, tmp_path: Path) -> None:
    qde = " ".join(foreign_qde().split("\n")[1:])  # the whole project on one line, no declaration
    qde = qde.replace('name="Milk is fine."', 'name="Milk is fine." startPosition="x"', 1)
    qde = qde.replace('startPosition="x" startPosition=', 'startPosition="x" data-old=', 1)
    with pytest.raises(QcoderError) as error:
        run_import(project, foreign_qdpx(qde), tmp_path)
    message = str(error.value)
    assert "line 1" in message and "<PlainTextSelection 'Milk is fine.'>" in message
    assert "startPosition" in message


def _with_pdf(pdf: bytes) -> bytes:
    qde = foreign_qde().replace(
        "</Sources>",
        '<PDFSource guid="0A6E2B8C-1111-4222-8333-944455556666" name="report.pdf" path="internal://r.pdf">'
        '<PDFSelection guid="0A6E2B8C-1111-4222-8333-944455556667" page="1" firstX="1" firstY="1" secondX="9" '
        'secondY="9"/></PDFSource></Sources>',
    )
    return foreign_qdpx(qde, extra={"Sources/r.pdf": pdf})


def test_pdf_sources_are_imported_through_the_pdf_reader(project: Project, tmp_path: Path) -> None:
    """A PDF inside a .qdpx (written by reportlab, tests/data/sources) becomes a text document, furniture
    removed; its page-region selections are reported, not placed."""
    pdf = (Path(__file__).resolve().parents[1] / "data" / "sources" / "policy.pdf").read_bytes()
    report = run_import(project, _with_pdf(pdf), tmp_path)
    assert report.documents_new == 2
    assert any("'report.pdf': text imported; its 1 PDF selection(s) are page regions" in x for x in report.lines())
    with project.session() as session:
        stored = session.scalar(select(Document).where(Document.name == "report.pdf"))
        assert stored is not None
        assert "关于进一步加强社区养老服务的实施意见" in stored.text
        assert "内部资料 注意保密" not in stored.text and "- 1 -" not in stored.text  # watermark, page number


def test_a_damaged_pdf_source_is_reported_and_the_rest_imported(project: Project, tmp_path: Path) -> None:
    report = run_import(project, _with_pdf(b"%PDF-1.4 broken"), tmp_path)
    assert any("'report.pdf' could not be read" in line for line in report.lines())
    assert "not imported: 1 pdf source(s); qcoder codes text only" in report.lines()
    assert report.documents_new == 1  # the text source beside it was imported


def test_report_names_cases_graphs_and_coded_notes(project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace(
        "<Notes>",
        '<Cases><Case guid="1A2B3C4D-0000-4000-8000-000000000001" name="Ana"/></Cases>'
        "<Description>a study of breakfasts</Description><Notes>",
    )
    qde = qde.replace(
        "<PlainTextContent>Milk comes up often.</PlainTextContent></Note>",
        "<PlainTextContent>Milk comes up often.</PlainTextContent>"
        '<PlainTextSelection guid="1A2B3C4D-0000-4000-8000-000000000002" startPosition="0" endPosition="4">'
        '<Coding guid="1A2B3C4D-0000-4000-8000-000000000003"><CodeRef targetGUID="C3C7D437-6932-4B14-A55D-30B7F811BBF3"/>'
        "</Coding></PlainTextSelection></Note>",
    )
    qde = qde.replace(
        "</Project>",
        '<Graphs><Graph guid="1A2B3C4D-0000-4000-8000-000000000004" name="map"/></Graphs></Project>',
    )
    lines = run_import(project, foreign_qdpx(qde), tmp_path).lines()
    assert "not imported: 1 case(s); qcoder has no cases (use document attributes)" in lines
    assert "not imported: 1 graph(s) (network views); qcoder keeps only the links" in lines
    assert "not imported: 1 coding(s) inside notes; qcoder codes documents only" in lines
    assert "not imported: the project's description; qcoder projects have none" in lines


def test_codes_listing_shows_the_path_where_a_name_is_used_twice(rich_project: Project) -> None:
    from qcoder.coding.listings import code_entries

    with rich_project.session() as s:
        rows = code_entries(s)
    paths = {row.path for row in rows if row.name == "创新环境"}
    assert paths == {"创新联合体赋能新质生产力/创新环境", "创新环境"}
    assert all(row.path is None for row in rows if row.name != "创新环境")
