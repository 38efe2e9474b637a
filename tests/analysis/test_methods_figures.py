"""``report methods`` and ``report figure``: every figure in the text traces to a report; images open.

The project is gt_builders' hand-counted one, with alice and bob both marking D01 and D02
complete (the agreement pilot) and a paradigm-model set of relations around 主A.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from factories import qc
from gt_builders import build_gt

from qcoder.analysis.figures import FIGURES, cjk_font, paradigm_layout
from qcoder.errors import QcoderError
from qcoder.store.database import Project, open_project
from qcoder.store.models import Document
from qcoder.store.settings import set_setting

try:
    cjk_font()
    HAVE_FONT = True
except QcoderError:
    HAVE_FONT = False
needs_font = pytest.mark.skipif(not HAVE_FONT, reason="no CJK font installed (fonts-wqy-microhei / fonts-noto-cjk)")


def build(project: Project) -> None:
    gt = build_gt(project)
    with project.session() as session:
        docs = {d.label: d.id for d in session.query(Document)}
    for bench in (gt.alice, gt.bob):
        bench.review(docs["D01"])
        bench.review(docs["D02"])
    ids = gt.ids
    gt.alice.add_relation(ids["范畴1"], ids["主A"], "condition", "范畴一是主A的条件")
    gt.alice.add_relation(ids["范畴2"], ids["主A"], "strategy", "")
    gt.alice.add_relation(ids["概念e"], ids["主A"], "context", "")
    gt.alice.add_relation(ids["主A"], ids["核心"], "consequence", "")


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "methods.qcoder")
    with open_project(path) as project:
        build(project)
        project.run(lambda s: set_setting(s, "language", "zh"))
    return path


NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_in_the_methods_text_is_printed_by_a_report(db: str, tmp_path: Path, lang: str) -> None:
    out = tmp_path / "methods.md"
    code, _, err = qc("report", "methods", "--lang", lang, "-o", str(out), "--db", db)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    printed = ""
    for args in (
        ("report", "hierarchy"),
        ("report", "saturation"),
        ("report", "tables"),
        ("agree", "--coders", "alice,bob"),
        ("docs",),
    ):
        code, stdout, err = qc(*args, "--db", db)
        assert code == 0, err
        printed += stdout
    body = text.split("## ")[1:]  # the paragraphs (the relation table below them is a report already)
    cited = set()
    for paragraph in body:
        prose = paragraph.split("\n\n", 1)[-1].split("\n|")[0]
        prose = re.sub(r"qcoder [\w.+-]+\s*[（(]Python [\d.]+", "", prose)  # the software's own version
        prose = re.sub(r"\d{4}-\d{2}-\d{2}", "", prose)  # import dates: see `qcoder docs`
        prose = re.sub(r"[DS]\d{2,3}", "", prose)  # document and statement labels
        prose = re.sub(r"N₁|N₂|2M|2/3|1/3|p_o|p_e|D_o|D_e", "", prose)  # formulas
        cited.update(NUMBER.findall(prose))
    assert {"9", "6", "4", "2", "1"} <= cited  # statements, coded, concepts, ... from the count chain
    missing = {n for n in cited if n not in NUMBER.findall(printed)}
    assert not missing, f"figures in the methods text no report prints: {missing}"
    if lang == "zh":
        for term in ("三级编码", "理论饱和度检验", "编码信度", "6 条原始语句 → 5 个概念"):
            assert term in text, term


def test_methods_docx_embeds_the_three_figures(db: str, tmp_path: Path) -> None:
    out = tmp_path / "methods.docx"
    code, _, err = qc("report", "methods", "-o", str(out), "--db", db)
    assert code == 0, err
    from docx import Document as Docx

    document = Docx(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "三级编码" in text and "编码信度" in text and "理论饱和度检验" in text
    assert len(document.tables) == 1
    assert "范畴1 → 主A" in [row.cells[0].text for row in document.tables[0].rows]
    images = [n for n in zipfile.ZipFile(out).namelist() if n.startswith("word/media/")]
    assert len(images) == (3 if HAVE_FONT else 0)
    if HAVE_FONT:
        assert "图1 编码层级结构" in text and "图3 理论饱和度曲线" in text


@needs_font
@pytest.mark.parametrize("kind", FIGURES)
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_figures_open_at_print_resolution_with_chinese_labels(db: str, tmp_path: Path, kind: str, fmt: str) -> None:
    out = tmp_path / f"{kind}.{fmt}"
    code, _, err = qc("report", "figure", kind, "-o", str(out), "--db", db)
    assert code == 0, err
    data = out.read_bytes()
    if fmt == "png":
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.width >= 1200 and image.height >= 600  # 300 dpi on a several-inch figure
        assert round(image.info["dpi"][0]) == 300
    elif fmt == "svg":
        from lxml import etree

        root = etree.fromstring(data)
        labels = "".join(root.itertext())
        expected = {"hierarchy": ["核心", "范畴1", "概念a", "6 条原始语句"], "relations": ["主A", "条件关系", "策略关系"],
                    "saturation": ["饱和度曲线", "留存文档", "D01", "D03"]}[kind]  # fmt: skip
        for needle in expected:
            assert needle in labels, needle
    else:
        assert data.startswith(b"%PDF") and len(data) > 1000


def test_paradigm_layout_places_roles_around_the_phenomenon() -> None:
    phenomenon, layout = paradigm_layout([(1, 5, "condition"), (2, 5, "context"), (3, 5, "intervening"),
                                          (4, 5, "strategy"), (5, 6, "consequence")])  # fmt: skip
    assert phenomenon == 5
    x, y = layout[5]
    assert layout[1][0] < x and layout[4][0] > x and layout[6][0] > layout[4][0]
    assert layout[2][1] > y and layout[3][1] < y


def test_figure_errors_are_one_line(db: str, tmp_path: Path) -> None:
    code, _, err = qc("report", "figure", "pie", "-o", str(tmp_path / "x.png"), "--db", db)
    assert code == 1 and "hierarchy, relations, saturation" in err and "Traceback" not in err
    code, _, err = qc("report", "methods", "--db", db)
    assert code == 1 and "-o methods.docx" in err
