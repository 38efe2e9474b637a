"""Selection positions in UTF-16 code units (NVivo) or code points (the standard), on import and export.

The test file has emoji and an Extension-B ideograph (𠮷) before and between the selections;
read in the wrong unit every selection after the first of them codes other statements. The
right statements are found independently: the selected passage's code-point span in the text
(``str.index``) against the statements' own offsets.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from exchange_helpers import (
    WIDE_SELECTIONS,
    WIDE_TEXT,
    make_zip,
    snapshot,
    utf16_offset,
    wide_qdpx,
    wide_spans,
)
from factories import add_document, qc
from lxml import etree
from sqlalchemy import select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings
from qcoder.exchange import refi
from qcoder.exchange.positions import TextUnits, on_boundary
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Sentence

NS = {"q": refi.PROJECT_NS}


def run_import(project: Project, data: bytes, tmp_path: Path, name: str = "in.qdpx") -> ImportReport:
    path = tmp_path / name
    path.write_bytes(data)
    return project.run(lambda s: import_project(s, path))


def codings(project: Project) -> set[tuple[str, str, str]]:
    """(statement text, code, coder) of every coding."""
    with project.session() as s:
        rows = s.execute(
            select(Sentence.text, Code.name, Coder.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        ).all()
    return {tuple(row) for row in rows}


def expected(project: Project) -> set[tuple[str, str, str]]:
    """What the researcher coded: every statement the selected passage overlaps, by code and user."""
    with project.session() as s:
        statements = s.execute(select(Sentence.text, Sentence.start, Sentence.end)).all()
    return {
        (text, code, user)
        for start, end, code, user in wide_spans()
        for text, s_start, s_end in statements
        if s_start < end and s_end > start
    }


def positions_line(report: ImportReport) -> str:
    [line] = [line for line in report.lines() if line.startswith("positions read as")]
    return line


# -- import: the unit is detected ---------------------------------------------------------


def test_nvivo_utf16_positions_land_on_the_right_statements(project: Project, tmp_path: Path) -> None:
    report = run_import(project, wide_qdpx(unit="utf16", origin="NVivo 12 (Windows)"), tmp_path)
    assert report.selections == len(WIDE_SELECTIONS) == 11
    found, wanted = codings(project), expected(project)
    assert found == wanted and len(wanted) == 14
    # spot checks a reader would notice first
    assert ("The 𠮷 family firm joined first.", "企业", "Ben") in found
    assert ("🤔", "变化", "Ana") in found and ("A: Everything changed.", "变化", "Ana") in found
    assert ("🎉🎉 最后，加快科技成果转化。", "转化", "Ana") in found
    assert positions_line(report) == (
        "positions read as UTF-16 code units: origin 'NVivo 12 (Windows)'; 11 of 11 selection(s) fall on "
        "word/line boundaries that way vs 1 of 11 as code points"
    )
    # the two selections that really cover part of a statement, no more
    assert report.selections_partial == 2


def test_code_point_positions_from_another_tool_stay_code_points(project: Project, tmp_path: Path) -> None:
    report = run_import(project, wide_qdpx(unit="codepoints", origin="ATLAS.ti 9.1"), tmp_path)
    assert codings(project) == expected(project)
    assert positions_line(report).startswith("positions read as code points: the standard's unit; 11 of 11")


def test_utf16_positions_without_an_origin_are_recognised_by_boundaries(project: Project, tmp_path: Path) -> None:
    report = run_import(project, wide_qdpx(unit="utf16", origin=None), tmp_path)
    assert codings(project) == expected(project)
    assert positions_line(report).startswith("positions read as UTF-16 code units: 11 of 11 selection(s)")


def test_code_points_under_an_nvivo_origin_follow_the_evidence(project: Project, tmp_path: Path) -> None:
    """A file re-saved by a converter keeps NVivo's origin but counts code points."""
    report = run_import(project, wide_qdpx(unit="codepoints", origin="NVivo 12"), tmp_path)
    assert codings(project) == expected(project)
    assert positions_line(report).startswith(
        "positions read as code points: although the file was written by 'NVivo 12'"
    )


@pytest.mark.parametrize("offsets_count_cr", [True, False])
def test_utf16_positions_in_a_crlf_text(project: Project, tmp_path: Path, offsets_count_cr: bool) -> None:
    data = wide_qdpx(unit="utf16", origin="NVivo 12", crlf=True, offsets_count_cr=offsets_count_cr)
    report = run_import(project, data, tmp_path)
    assert codings(project) == expected(project)
    assert positions_line(report).startswith("positions read as UTF-16 code units")
    assert any("do not count the CRs" in line for line in report.notes) is not offsets_count_cr


def test_text_without_wide_characters_raises_no_question(project: Project, tmp_path: Path) -> None:
    def narrow(text: str) -> str:
        for wide in ("😀", "🏭", "𠮷", "👍", "🤔", "🤝", "🎉"):
            text = text.replace(wide, "")
        return text

    text = narrow(WIDE_TEXT)
    selections = [(narrow(piece), code, user) for piece, code, user in WIDE_SELECTIONS]
    report = run_import(project, wide_qdpx(unit="utf16", origin="NVivo 12", text=text, selections=selections), tmp_path)
    assert not any(line.startswith("positions read as") for line in report.lines())
    with project.session() as s:
        statements = s.execute(select(Sentence.text, Sentence.start, Sentence.end)).all()
    assert codings(project) == {
        (piece, code, user)
        for start, end, code, user in wide_spans(text, selections)
        for piece, a, b in statements
        if a < end and b > start
    }


def test_a_selection_inside_a_wide_character_is_widened_and_reported(project: Project, tmp_path: Path) -> None:
    data = wide_qdpx(unit="utf16", origin="NVivo 12")
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde").decode()
    start = utf16_offset(WIDE_TEXT, WIDE_TEXT.index("𠮷田"))
    end = start + len("𠮷田".encode("utf-16-le")) // 2
    extra = (
        f'<PlainTextSelection guid="9D8C7B6A-0000-4000-8000-000000000999" startPosition="{start + 1}" '
        f'endPosition="{end}"/></TextSource>'
    )
    source = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("Sources/"))
    report = run_import(
        project,
        make_zip({"project.qde": qde.replace("</TextSource>", extra).encode(), source: WIDE_TEXT.encode()}),
        tmp_path,
    )
    assert (
        "1 selection(s) began or ended inside a character outside the Basic Multilingual Plane; widened to whole characters"
        in report.lines()
    )
    assert codings(project) == expected(project)


def test_utf16_offsets_past_the_end_are_refused_in_utf16_units(project: Project, tmp_path: Path) -> None:
    from qcoder.errors import QcoderError

    data = wide_qdpx(unit="utf16", origin="NVivo 12")
    archive = zipfile.ZipFile(io.BytesIO(data))
    length = len(WIDE_TEXT.encode("utf-16-le")) // 2
    qde = (
        archive.read("project.qde")
        .decode()
        .replace(
            "</TextSource>",
            f'<PlainTextSelection guid="9D8C7B6A-0000-4000-8000-000000000998" name="beyond" '
            f'startPosition="{length - 2}" endPosition="{length + 3}"/></TextSource>',
        )
    )
    members = {n: archive.read(n) for n in archive.namelist()}
    members["project.qde"] = qde.encode()
    with pytest.raises(
        QcoderError, match=rf"ends at {length + 3}, past the end of source '访谈\.txt' \({length} UTF-16 code units\)"
    ):
        run_import(project, make_zip(members), tmp_path)


# -- export: code points by default, UTF-16 units for NVivo ----------------------------------


WIDE_STATEMENTS = [
    "访谈记录 😀 2024年3月",
    "Q: How did the 🏭 consortium start?",
    "A: We began in 2019.",
    "The 𠮷 family firm joined first.",
    "Funding came later 👍.",
    "企业是科技创新的主体。",
    "🎉🎉 最后，加快科技成果转化。",
    "（访谈结束。）",
]


def wide_project(project: Project) -> None:
    """One document of statements with wide characters, coded by two coders (runs and single statements)."""
    add_document(project, WIDE_STATEMENTS, name="访谈")

    def work(s) -> None:  # type: ignore[no-untyped-def]
        ana, ben = get_or_create_coder(s, "Ana"), get_or_create_coder(s, "Ben")
        origin, firm = create_code(s, "起源", level=0), create_code(s, "企业", level=0)
        statements = list(s.scalars(select(Sentence).order_by(Sentence.ordinal)))
        by_text = {x.text: x.id for x in statements}
        add_codings(
            s, [by_text["Q: How did the 🏭 consortium start?"], by_text["A: We began in 2019."]], origin.id, ana.id
        )
        add_codings(
            s, [by_text["The 𠮷 family firm joined first."], by_text["企业是科技创新的主体。"]], firm.id, ben.id
        )
        add_codings(s, [by_text["🎉🎉 最后，加快科技成果转化。"]], firm.id, ana.id)

    project.run(work)


def selection_texts(data: bytes, *, utf16: bool) -> list[tuple[str, str]]:
    """(selected text, user GUID) of every coding selection, cutting the exported text in the given unit."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(archive.read("project.qde"))
    out = []
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        text = archive.read(f"sources/{source.get('guid')}.txt").decode()
        measured = text.encode("utf-16-le") if utf16 else text
        for selection in source.iterfind("q:PlainTextSelection", NS):
            if selection.find("q:Coding", NS) is None:
                continue
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            piece = measured[start * 2 : end * 2].decode("utf-16-le") if utf16 else measured[start:end]
            out.append((piece, selection.get("creatingUser")))
    return out


EXPORTED = [
    ("Q: How did the 🏭 consortium start?\nA: We began in 2019.", "Ana"),
    ("The 𠮷 family firm joined first.", "Ben"),
    ("企业是科技创新的主体。", "Ben"),
    ("🎉🎉 最后，加快科技成果转化。", "Ana"),
]


@pytest.mark.parametrize("unit", ["codepoints", "utf16"])
def test_export_writes_positions_in_the_unit_asked(project: Project, unit: str) -> None:
    wide_project(project)
    with project.session() as s:
        data = export_project(s, name="wide", positions=unit)
    assert sorted(selection_texts(data, utf16=unit == "utf16")) == sorted(
        (piece, refi.coder_guid(user)) for piece, user in EXPORTED
    )


def test_utf16_export_round_trips_with_and_without_qcoder_side_files(
    project: Project, second_project: Project, tmp_path: Path, db_url: str
) -> None:
    wide_project(project)
    with project.session() as s:
        data = export_project(s, name="wide", positions="utf16")
    report = run_import(second_project, data, tmp_path)
    assert snapshot(second_project)["codings"] == snapshot(project)["codings"]
    assert positions_line(report).startswith("positions read as UTF-16 code units: qcoder wrote them so")
    # another tool re-saves the package without qcoder's folder: the evidence still finds the unit
    archive = zipfile.ZipFile(io.BytesIO(data))
    stripped = make_zip({n: archive.read(n) for n in archive.namelist() if not n.startswith("qcoder/")})
    third = open_project(f"sqlite:///{tmp_path / 'third.qcoder.db'}")
    try:
        report = run_import(third, stripped, tmp_path, "stripped.qdpx")
        assert positions_line(report).startswith("positions read as UTF-16 code units: ")
        assert codings(third) == codings(project)
    finally:
        third.close()


def test_pyqdpx_which_counts_as_nvivo_does_reads_the_utf16_export(project: Project, tmp_path: Path) -> None:
    """pyqdpx (PyPI) pads every character outside the BMP to two, as NVivo counts: with
    ``--positions utf16`` each of its selections shows exactly the statements that were coded."""
    from pyqdpx import QDPX

    wide_project(project)
    with project.session() as s:
        path = tmp_path / "nvivo.qdpx"
        path.write_bytes(export_project(s, name="wide", positions="utf16"))
    qde = QDPX(str(path)).get_project()
    found = sorted(
        (sel.text.replace("\u200b", ""), sel.user.name)
        for source in qde.sources.values()
        for sel in source.coded_selections.values()
    )
    assert found == sorted(EXPORTED)


def test_cli_export_positions_option(tmp_path: Path) -> None:
    db = str(tmp_path / "wide.qcoder.db")
    with open_project(db) as project:
        wide_project(project)
    target = tmp_path / "nvivo.qdpx"
    code, out, err = qc("export", "project", "--db", db, "-o", str(target), "--positions", "utf16")
    assert code == 0, err
    assert "(4 selections, positions in UTF-16 code units)" in out
    assert sorted(selection_texts(target.read_bytes(), utf16=True)) == sorted(
        (piece, refi.coder_guid(user)) for piece, user in EXPORTED
    )
    code, out, err = qc("export", "project", "--db", db, "-o", str(tmp_path / "x.qdpx"), "--positions", "bytes")
    assert code == 1 and err.count("\n") == 1 and "--positions takes codepoints or utf16" in err
    assert not (tmp_path / "x.qdpx").exists()


# -- the boundary rule itself -----------------------------------------------------------------


def test_units_and_boundaries() -> None:
    units = TextUnits("a😀b𠮷c")
    assert units.length("utf16") == 7 and units.length("codepoints") == 5
    assert [units.from_codepoints(i, "utf16") for i in range(6)] == [0, 1, 3, 4, 6, 7]
    assert units.to_codepoints(3, "utf16") == (2, True)
    assert units.to_codepoints(2, "utf16") == (1, False)  # inside 😀
    assert units.to_codepoints(2, "utf16", round_up=True) == (2, False)
    assert TextUnits("plain").to_codepoints(3, "utf16") == (3, True)
    text = "Our partners shared labs。创新联合体"
    assert on_boundary(text, 0) and on_boundary(text, 4) and not on_boundary(text, 2)
    assert on_boundary(text, text.index("创")) and not on_boundary(text, text.index("联"))
