"""In-vivo suggestions, the import worker, help and command palette, and the wrap layout."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import func, select
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Document, Memo, Sentence
from qcoder.store.settings import get_setting, set_setting
from qcoder.tui.app import QcoderApp
from qcoder.tui.layout import WrapLayout, count_all_lines, count_lines, wrap_spans
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.help import HelpScreen
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (100, 30)
SAMPLE = Path(__file__).resolve().parents[2] / "sample_corpus"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


async def wait_for_workers(app: QcoderApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


@run_async
async def test_in_vivo_suggestion_becomes_code_and_dictionary_word(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        project.run(lambda s: set_setting(s, "user_words", []))
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "j", "j", "j", "j")  # D01-S006 …“揭榜挂帅”机制…
        await pilot.press("i")
        await pilot.pause()
        await wait_for_workers(app, pilot)
        assert "1 揭榜挂帅  quoted" in screen_text(app)
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "[揭榜挂帅]" in screen_text(app)
    with open_project(str(db_path)) as project, project.session() as session:
        code = session.scalar(select(Code).where(Code.name == "揭榜挂帅"))
        assert code is not None and code.level == 0
        assert session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id)) == 1
        assert "揭榜挂帅" in get_setting(session, "user_words")


@run_async
async def test_import_runs_in_worker_and_shows_new_document(db_path: Path) -> None:
    source = sorted(SAMPLE.glob("000_*.txt"))[0]
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("I")
        await pilot.pause()
        app.screen.query_one("#import-path").value = str(source)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        await wait_for_workers(app, pilot)
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert any("imported" in m and "D03" in m for m in messages(app))
        # the coder is told what the cleaning deleted, so it can be checked
        assert any("removed 3 lines of page furniture" in m and "探索与创新 ×2" in m for m in messages(app))
        assert "D03 " in screen_text(app)
    with open_project(str(db_path)) as project, project.session() as session:
        doc = session.scalar(select(Document).where(Document.label == "D03"))
        assert doc is not None
        assert session.scalar(select(func.count()).select_from(Sentence).where(Sentence.document_id == doc.id)) > 10


@run_async
async def test_import_error_is_one_line_and_dialog_stays(db_path: Path, tmp_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("I")
        await pilot.pause()
        app.screen.query_one("#import-path").value = str(tmp_path / "missing.txt")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for_workers(app, pilot)
        assert any("no such file" in m for m in messages(app))
        assert not isinstance(app.screen, CodingScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)


@run_async
async def test_help_lists_every_key_and_palette_runs_actions(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Next uncoded" in screen_text(app)
        text = "\n".join(f"{e.keys} {e.description}" for e in app.screen.entries)  # type: ignore[attr-defined]
        for needle in (
            "Next uncoded",
            "Toggle recent code",
            "Undo",
            "Redo",
            "Search",
            "Compare",
            "Codebook",
            "Reviewed",
            "Refresh",
            "Import file",
            "Range",
            "Extend down",
            "Command palette",
        ):
            assert needle in text, needle
        await pilot.press("escape")
        await pilot.pause()
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {"Code…", "Next uncoded", "Undo", "Codebook", "Page down", "Toggle recent code 9"} <= set(commands)
        await pilot.press("G", "k")
        app.call_later(commands["Next uncoded"].callback)
        await pilot.pause()
        assert app.screen.query_one(DocumentView).current.label == "D01-S008"


@run_async
async def test_small_terminal_layout(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert len(lines) == 24 and all(cell_len(line) == 80 for line in lines)
        assert "coder: 小王" in lines[0] and "D01-S001" in "\n".join(lines)


# ---------------------------------------------------------------- layout (no app)
def test_wrap_spans_never_split_wide_characters() -> None:
    text = "“新基建”是指5G、人工智能、数据中心、工业互联网等科技创新领域基础设施。"
    for width in range(1, 40):
        spans = wrap_spans(text, width)
        assert "".join(text[a:b] for a, b in spans) == text
        assert all(cell_len(text[a:b]) <= max(width, 2) for a, b in spans)
        assert count_lines(text, width) == len(spans)


def test_count_lines_fast_paths_match_exact_wrap() -> None:
    rng = random.Random(7)
    alphabet = "创新联合体政策支持abcXYZ 0123，。“”"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        width = rng.randint(2, 50)
        assert count_lines(text, width) == len(wrap_spans(text, width))


def test_layout_locates_lines_and_tracks_chip_lines() -> None:
    texts = ["短句", "一个比较长的句子需要换行显示出来", "第三句"]
    layout = WrapLayout(texts, [False, True, False], width=10)
    assert [layout.line_count(i) for i in range(3)] == [1, 5, 1]  # 16 chars at 5 per line, + chip line
    assert layout.locate(0) == (0, 0) and layout.locate(5) == (1, 4) and layout.locate(6) == (2, 0)
    assert layout.set_chip(0, True) and layout.total == 8
    assert layout.locate(1) == (0, 1)
    assert layout.set_width(40) and layout.total == 5


def test_vectorised_line_counts_match_per_statement_wrap() -> None:
    rng = random.Random(11)
    alphabet = "创新联合体政策支持abcXYZ 0123，。“”\u200b\t😀"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))) for _ in range(400)]
    for width in (1, 2, 3, 7, 20, 41):
        assert count_all_lines(texts, width).tolist() == [len(wrap_spans(t, width)) for t in texts]


@run_async
async def test_project_memo_and_notices(db_path: Path) -> None:
    project = open_project(str(db_path))
    project.notices.append("upgraded the project schema; the old file was backed up")
    app = QcoderApp(project, "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("upgraded the project schema" in m for m in messages(app))
        await pilot.press("P", *"研究总体思路", "ctrl+s", "escape")
        await pilot.pause()
    with open_project(str(db_path)) as check, check.session() as session:
        memo = session.scalar(select(Memo).where(Memo.text == "研究总体思路"))
        assert memo is not None and memo.document_id is None and memo.sentence_id is None and memo.code_id is None


@run_async
async def test_empty_project_opens_and_says_how_to_import(tmp_path: Path) -> None:
    app = QcoderApp(open_project(str(tmp_path / "empty.qcoder.db")), "小王")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter", "n", "x", "m", "u", "1")  # nothing to act on: no crash
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "press I to import a file" in screen_text(app)


def test_run_tui_asks_for_coder_once_and_remembers(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qcoder.store.preferences as preferences
    from qcoder.tui import app as app_module

    monkeypatch.setattr(preferences, "preferences_path", lambda: tmp_path / "prefs.json")
    seen: list[str | None] = []

    def fake_run(self: QcoderApp) -> None:  # what the user would do: answer the coder prompt
        seen.append(self.coder_name)
        if self.coder_name is None and self.remember is not None:
            self.remember("小张")

    monkeypatch.setattr(app_module.QcoderApp, "run", fake_run)
    app_module.run_tui(str(db_path), None)  # not given, not remembered: the app asks
    app_module.run_tui(str(db_path), None)  # remembered now
    app_module.run_tui(str(db_path), "小王")  # given: used and remembered
    app_module.run_tui(str(db_path), None)
    assert seen == [None, "小张", "小王", "小王"]


def test_remembering_the_same_coder_again_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import qcoder.store.preferences as preferences

    path = tmp_path / "prefs.json"
    monkeypatch.setattr(preferences, "preferences_path", lambda: path)
    preferences.remember_coder("sqlite:////p/study.db", "小王")
    os.utime(path, ns=(1, 1))  # a marker: any rewrite changes it
    preferences.remember_coder("sqlite:////p/study.db", "小王")
    assert path.stat().st_mtime_ns == 1
    preferences.remember_coder("sqlite:////p/study.db", "小李")
    assert preferences.remembered_coder("sqlite:////p/study.db") == "小李" and path.stat().st_mtime_ns != 1
