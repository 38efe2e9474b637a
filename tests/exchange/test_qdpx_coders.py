"""Several coders in one ``.qdpx``: what other tools' readers get from qcoder's export.

Other tools credit a coding to its *selection's* ``creatingUser``; QualCoder keeps one coding
per (code, source, start, end, user); pyqdpx reads one coding per selection. So every
selection holds one coder's coding of one code, and consecutive statements coded alike are
one selection. Checked on the demo project (five real documents, 892 codings by two coders)
and on a small project built to hold every case by hand.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_helpers import make_zip, snapshot
from factories import add_document
from lxml import etree
from refi_readers import expand, per_coder, project_codings, qualcoder_codings
from sqlalchemy import select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings
from qcoder.demo import import_sample_corpus
from qcoder.exchange import refi
from qcoder.exchange.bundle import load_bundle
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import import_project
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Document, Sentence

BUNDLE = Path(__file__).resolve().parents[2] / "sample_corpus" / "coding" / "sample_coding.json"
NS = {"q": refi.PROJECT_NS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, bytes]]:
    """The demo project (`qcoder demo`: the five seeds and the sample coding) and its export."""
    project = open_project(tmp_path_factory.mktemp("demo") / "demo.qcoder.db")
    try:
        import_sample_corpus(project)
        load_bundle(project, BUNDLE)
        with project.session() as s:
            data = export_project(s, name="demo")
        yield project, data
    finally:
        project.close()


def runs_by_hand(project: Project) -> Counter[str]:
    """Independent count of passages per coder: maximal runs of consecutive statement ordinals
    coded by one coder with one code in one document."""
    with project.session() as s:
        rows = s.execute(
            select(Sentence.document_id, Coder.name, Coding.code_id, Sentence.ordinal)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Coder, Coder.id == Coding.coder_id)
        ).all()
    ordinals: dict[tuple[int, str, int], list[int]] = {}
    for doc, coder, code, ordinal in rows:
        ordinals.setdefault((doc, coder, code), []).append(ordinal)
    runs: Counter[str] = Counter()
    for (_, coder, _), found in ordinals.items():
        found.sort()
        runs[coder] += 1 + sum(b != a + 1 for a, b in itertools.pairwise(found))
    return runs


def test_qualcoder_like_reader_gets_every_coding_of_every_coder(demo: tuple[Project, bytes]) -> None:
    project, data = demo
    mine = project_codings(project)
    assert per_coder(mine) == {"研究者A": 537, "研究者B": 355}  # the demo's 892 codings
    kept = qualcoder_codings(data)
    # one reference per passage a coder coded, credited to that coder
    assert Counter(k.owner for k in kept) == runs_by_hand(project)
    # and the passages cover exactly qcoder's codings, coder by coder, each statement once
    assert expand(project, [(k.code, k.source, k.start, k.end, k.owner) for k in kept]) == mine


def test_each_selection_is_one_coders_one_coding(demo: tuple[Project, bytes]) -> None:
    _, data = demo
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
    selections = root.findall(".//q:PlainTextSelection", NS)
    coded = [x for x in selections if x.find("q:Coding", NS) is not None]
    for selection in coded:
        [coding] = selection.findall("q:Coding", NS)
        assert coding.get("creatingUser") == selection.get("creatingUser")
    assert len({x.get("guid") for x in selections}) == len(selections)
    assert len({c.get("guid") for c in root.iter(f"{{{refi.PROJECT_NS}}}Coding")}) == len(coded)


def test_pyqdpx_reads_every_coding_of_every_coder(demo: tuple[Project, bytes], tmp_path: Path) -> None:
    """pyqdpx (PyPI), a REFI-QDA reader written by others: one coding per selection, its user the selection's."""
    from pyqdpx import QDPX

    project, data = demo
    path = tmp_path / "demo.qdpx"
    path.write_bytes(data)
    qde = QDPX(str(path)).get_project()
    spans = [
        (sel.code.guid, source.guid, sel.start, sel.end, sel.user.name)
        for source in qde.sources.values()
        for sel in source.coded_selections.values()
    ]
    assert Counter(span[4] for span in spans) == runs_by_hand(project)
    assert expand(project, spans) == project_codings(project)
    # what pyqdpx shows as the selected text is the statements' text
    with project.session() as s:
        texts = {refi.document_guid(d.sha256): d.text for d in s.scalars(select(Document))}
    for source in qde.sources.values():
        for sel in source.coded_selections.values():
            assert sel.text == texts[source.guid][sel.start : sel.end]


def test_reimport_gives_identical_codings_per_coder(demo: tuple[Project, bytes], tmp_path: Path) -> None:
    project, data = demo
    path = tmp_path / "demo.qdpx"
    path.write_bytes(data)
    with open_project(tmp_path / "again.qcoder.db") as again:
        report = again.run(lambda s: import_project(s, path))
        assert report.selections_partial == 0 and report.selections_unplaced == 0
        assert snapshot(again)["codings"] == snapshot(project)["codings"]
        assert per_coder(project_codings(again)) == {"研究者A": 537, "研究者B": 355}


# -- every case by hand ---------------------------------------------------------------------

STATEMENTS = [
    "一、背景",
    "创新联合体是载体。",
    "企业是主体。",
    "二、机制",
    "揭榜挂帅激发活力。",
    "加快成果转化。",
    "政策支持合作。",
]


@pytest.fixture
def coded(project: Project) -> Project:
    """Runs across a heading, a gap, two coders on one statement, one coder with two codes on one run."""
    add_document(project, STATEMENTS, name="政策")

    def work(s) -> None:  # type: ignore[no-untyped-def]
        ana, ben = get_or_create_coder(s, "ana"), get_or_create_coder(s, "ben")
        x, y = create_code(s, "载体", level=0), create_code(s, "机制", level=0)
        ids = [st.id for st in s.scalars(select(Sentence).order_by(Sentence.ordinal))]
        add_codings(s, [ids[1], ids[2], ids[3], ids[4]], x.id, ana.id)  # 2–5, the heading 4 included
        add_codings(s, [ids[6]], x.id, ana.id)  # 7: not next to 5
        add_codings(s, [ids[1], ids[2]], y.id, ana.id)  # same coder, other code, 2–3
        add_codings(s, [ids[2]], x.id, ben.id)  # ben on statement 3 too
        add_codings(s, [ids[4], ids[5], ids[6]], y.id, ben.id)  # 5–7

    project.run(work)
    return project


def test_runs_by_hand(coded: Project) -> None:
    with coded.session() as s:
        data = export_project(s, name="p")
        spans = {st.ordinal: (st.start, st.end) for st in s.scalars(select(Sentence))}
        guid = {c.name: c.guid for c in s.scalars(select(Code))}
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
    found = sorted(
        (
            int(x.get("startPosition")),
            int(x.get("endPosition")),
            x.get("creatingUser"),
            x.find("q:Coding/q:CodeRef", NS).get("targetGUID"),
        )
        for x in root.iterfind(".//q:PlainTextSelection", NS)
    )
    ana, ben = refi.coder_guid("ana"), refi.coder_guid("ben")

    def run(first: int, last: int, user: str, code: str) -> tuple[int, int, str, str]:
        return spans[first][0], spans[last][1], user, guid[code]

    assert found == sorted(
        [
            run(2, 5, ana, "载体"),
            run(7, 7, ana, "载体"),
            run(2, 3, ana, "机制"),
            run(3, 3, ben, "载体"),
            run(5, 7, ben, "机制"),
        ]
    )


def test_small_project_round_trips_per_coder_with_and_without_side_files(
    coded: Project, second_project: Project, tmp_path: Path
) -> None:
    with coded.session() as s:
        data = export_project(s, name="p")
    assert expand(
        coded, [(k.code, k.source, k.start, k.end, k.owner) for k in qualcoder_codings(data)]
    ) == project_codings(coded)
    path = tmp_path / "p.qdpx"
    path.write_bytes(data)
    second_project.run(lambda s: import_project(s, path))
    assert snapshot(second_project)["codings"] == snapshot(coded)["codings"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    stripped = tmp_path / "stripped.qdpx"
    stripped.write_bytes(make_zip({n: archive.read(n) for n in archive.namelist() if not n.startswith("qcoder/")}))
    with open_project(tmp_path / "third.qcoder.db") as third:
        report = third.run(lambda s: import_project(s, stripped))
        assert report.selections_partial == 0
        assert project_codings(third) == project_codings(coded)
