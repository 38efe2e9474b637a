"""Line breaking by the rules of Chinese typesetting (禁则), with the issue's examples."""

from __future__ import annotations

import itertools
import random

from rich.cells import cell_len

from qcoder.linebreak import CLOSING, OPENING, break_spans, can_break, fill, wrap
from qcoder.tui.layout import WrapLayout, count_all_lines, wrap_spans

CLOSE = "，。、；：？！）》」』”’"
OPEN = "（《「『“‘"


def check_rules(text: str, width: int) -> list[str]:
    lines = wrap(text, width)
    assert "".join(lines) == text  # nothing lost, nothing added
    for number, line in enumerate(lines):
        assert cell_len(line) <= max(width, 2)
        if number > 0:
            assert line[0] not in CLOSE, (width, lines)
        if number < len(lines) - 1:
            assert line[-1] not in OPEN, (width, lines)
    return lines


def test_closing_punctuation_never_starts_a_line() -> None:
    text = "这是改革开放以来，中国第一次提出要建设创新型国家。"
    for width in range(6, 40):
        check_rules(text, width)
    # the greedy cut would put "，中国第一次…" at a line start: the comma stays with 以来
    assert wrap(text, 16)[:2] == ["这是改革开放以", "来，中国第一次提"]


def test_opening_punctuation_never_ends_a_line_and_book_titles_stay_together() -> None:
    text = "国家先后出台了《可再生能源法》《能源法》《能源安全法》等一系列法律。"
    for width in range(6, 40):
        lines = check_rules(text, width)
        assert not any(line.startswith("》") for line in lines[1:])
    assert "》《能源" not in "".join(line[:3] for line in wrap(text, 30)[1:])


def test_latin_words_and_numbers_are_not_split() -> None:
    text = "“新基建”是指5G、人工智能、数据中心等，2024年投资增长12.5%以上，AI technology applications。"
    for width in range(14, 50):  # every word fits on a line (a longer one is cut where the line is full)
        lines = check_rules(text, width)
        for token in ("5G", "2024", "12.5%", "technology", "applications"):
            if cell_len(token) <= width:
                assert any(token in line for line in lines), (token, width, lines)


def test_a_word_longer_than_the_line_is_cut_where_it_is_full() -> None:
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("“”“”“”", 2) == ["“”", "“”", "“”"]  # no allowed break at all: still every character once


def test_dashes_and_ellipses_stay_whole() -> None:
    text = "他说——这是我们的第一步……然后继续前进"
    for width in range(4, 30):
        lines = check_rules(text, width)
        for before, after in itertools.pairwise(lines):
            assert not (before.endswith("—") and after.startswith("—")) and not (
                before.endswith("…") and after.startswith("…")
            ), (width, lines)


def test_can_break_and_fill() -> None:
    assert not can_break("以来，中国", 2) and not can_break("提出《能源", 3) and not can_break("5G", 1)
    assert can_break("中国", 1) and set(CLOSE) <= set(CLOSING) and set(OPEN) <= set(OPENING)
    assert fill("第一段。\n第二段落比较长。", 8) == "第一段。\n第二段落\n比较长。"


def test_document_view_layout_follows_the_rules_and_the_vectorised_count_agrees() -> None:
    rng = random.Random(5)
    alphabet = "创新联合体政策支持abcXYZ 0123，。、“”（）《》——……%.\u200b😀"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))) for _ in range(1500)]
    for width in (1, 2, 3, 5, 8, 13, 21, 40):
        assert count_all_lines(texts, width).tolist() == [len(break_spans(t, width)) for t in texts]
    layout = WrapLayout(["这是改革开放以来，中国第一次提出要建设创新型国家。"], [False], 16)
    text = layout.texts[0]
    assert [text[a:b] for a, b in layout.spans(0)] == wrap(text, 16) and wrap_spans(text, 16) == layout.spans(0)


def test_report_table_cells_break_by_the_rules() -> None:
    from qcoder.tui.widgets.report_views import WRAP_AT, _cell

    text = "“企业通过“揭榜挂帅”机制组织关键核心技术攻关，" * 3 + "《能源法》《能源安全法》。"
    cell = _cell(text, False, WRAP_AT)
    lines = cell.plain.split("\n")
    assert "".join(lines) == text and len(lines) > 1
    assert all(cell_len(line) <= WRAP_AT for line in lines)
    assert not any(line[0] in CLOSE for line in lines[1:]) and not any(line[-1] in OPEN for line in lines[:-1])


def test_document_view_on_screen_keeps_punctuation_with_its_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from tui_factory import add_document, run_async, screen_text

    from qcoder.store.database import open_project
    from qcoder.tui.app import QcoderApp

    statements = [
        "这是改革开放以来，中国第一次提出要建设创新型国家。",
        "国家先后出台了《可再生能源法》《能源法》《能源安全法》等一系列法律，将2024年定为关键之年。",
    ]
    path = tmp_path / "p.qcoder.db"
    project = open_project(str(path))
    add_document(project, statements, "政策")
    project.close()

    @run_async
    async def run() -> None:
        app = QcoderApp(open_project(str(path)), "小王", live=False)
        for width in (44, 47, 52, 60):
            async with app.run_test(size=(width, 20)) as pilot:
                await pilot.pause()
                view = app.coding.view
                rows = screen_text(app).splitlines()[view.region.y : view.region.bottom]
                # the document pane is right of the sidebar's border; a statement's first line carries its ID
                pane = [row.split("▕", 1)[1] if "▕" in row else "" for row in rows]
                body = [re.sub(r"^[▌ ]?(D\d+-S\d+)?\s*", "", line).rstrip(" ▁▂▃▄▅▆▇█▉▊▋▌▍▎") for line in pane]
                body = [line for line in body if line]
                assert "".join(body) == "".join(statements), (width, body)
                assert body and not any(line[0] in CLOSE for line in body), (width, body)
                assert not any(line[-1] in OPEN for line in body), (width, body)
                assert not any(line.endswith("202") or line.startswith("4年") for line in body)
            app = QcoderApp(open_project(str(path)), "小王", live=False)

    run()
