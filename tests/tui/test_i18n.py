"""The interface language: every string the workbench shows has a Chinese translation, and
the screens, keys, relation types, levels and coefficient names follow the chosen language."""

from __future__ import annotations

import ast
import gettext
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select
from textual.binding import Binding
from textual.dom import DOMNode
from tui_factory import build_project, run_async, screen_text

import qcoder.tui
from qcoder.i18n import LOCALE_DIR, _, choose_language, extract, language, normalise, set_language
from qcoder.store import preferences
from qcoder.store.database import open_project
from qcoder.store.models import Coding
from qcoder.tui.app import QcoderApp, open_app

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "qcoder.po"
SIZE = (100, 30)
# calls whose first argument (or ``placeholder=``) is text on screen
SHOWN = {
    "notify",
    "Label",
    "Static",
    "Button",
    "TabPane",
    "PromptScreen",
    "ConfirmScreen",
    "ChoiceScreen",
    "TextEditScreen",
    "LinesScreen",
    "TaskScreen",
    "PickerScreen",
    "MemoScreen",
    "StatColumn",
    "set",
    "update",
    "Selection",
}


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(preferences, "preferences_path", lambda: tmp_path / "prefs.json")
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    from qcoder.coding.workbench import Workbench

    bench = Workbench(project, "小王")
    codes = {code.name: code.id for code in bench.codes()}
    bench.add_relation(codes["创新联合体"], codes["融资支持"], "causal", "")
    project.close()
    return path


def catalog() -> dict[str, str]:
    return {message.id: message.string for message in read_po(PO.open("rb")) if message.id}


# ---------------------------------------------------------------- the catalog
def test_every_marked_string_has_a_chinese_translation() -> None:
    translations = catalog()
    ids = extract(ROOT)
    assert len(ids) > 300  # the whole workbench, not a sample
    missing = [message for message in ids if not translations.get(message)]
    assert not missing, f"no Chinese for {missing[:10]}: run `python -m qcoder.i18n update`, translate, compile"


def test_compiled_catalog_matches_the_po_file() -> None:
    with (PO.with_suffix(".mo")).open("rb") as stream:
        compiled = gettext.GNUTranslations(stream)
    stale = [m for m, s in catalog().items() if s and compiled.gettext(m) != s]
    assert not stale, f"qcoder.mo is older than qcoder.po ({stale[:5]}): run `python -m qcoder.i18n compile`"


def test_translations_keep_every_field() -> None:
    import re

    for message, translated in catalog().items():
        assert set(re.findall(r"\{\w+\}", message)) == set(re.findall(r"\{\w+\}", translated)), message


def _unmarked(node: ast.expr) -> str | None:
    """The text of a literal with Latin words that is not passed through ``_``/``N_``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    else:
        return None
    words = [w for w in text.replace("_", " ").split() if sum(c.isascii() and c.isalpha() for c in w) >= 3]
    return text if words else None


def test_no_user_facing_literal_escapes_the_catalog() -> None:
    """Text handed to a label, a notification, a dialog or a key is marked for translation."""
    found: list[str] = []
    for path in sorted((ROOT / "qcoder" / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            arguments: list[ast.expr] = []
            if name in SHOWN and node.args:
                arguments.append(node.args[0])
            if name == "Binding" and len(node.args) >= 3:
                arguments.append(node.args[2])
            arguments += [k.value for k in node.keywords if k.arg in ("placeholder", "tooltip", "description")]
            for argument in arguments:
                for part in (
                    [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
                ):  # a ? b : c
                    text = _unmarked(part)
                    if text is not None:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    assert not found, "\n".join(found)


def test_every_key_description_is_translated() -> None:
    """Walk the screens and widgets as Python sees them: each key they define has a Chinese description."""
    translations = catalog()
    missing: set[str] = set()
    for module in pkgutil.walk_packages(qcoder.tui.__path__, "qcoder.tui."):
        for _name, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__.startswith("qcoder.tui"):
                for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
                    if binding.description and not translations.get(binding.description):
                        missing.add(f"{cls.__name__}: {binding.description}")
    assert not missing, sorted(missing)


# ---------------------------------------------------------------- choosing the language
def test_language_choice_order() -> None:
    assert choose_language("en", "zh", "zh", {"QCODER_LANG": "zh"}) == "en"  # --lang first
    assert choose_language(None, "en", "zh", {"QCODER_LANG": "zh"}) == "zh"  # then QCODER_LANG
    assert choose_language(None, "en", "zh", {}) == "en"  # then the saved choice
    assert choose_language(None, None, "zh", {"LANG": "en_US.UTF-8"}) == "zh"  # a Chinese project
    assert choose_language(None, None, "en", {"LANG": "zh_CN.UTF-8"}) == "zh"  # or a Chinese locale
    assert choose_language(None, None, "en", {"LANG": "de_DE.UTF-8"}) == "en"
    assert normalise("zh_TW.UTF-8") == "zh" and normalise("C") == "en" and normalise("fr") is None


def test_set_language_translates_and_falls_back() -> None:
    set_language("zh")
    assert language() == "zh" and _("Keys") == "按键" and _("not in the catalog") == "not in the catalog"
    set_language("en")
    assert _("Keys") == "Keys"


@run_async
async def test_chinese_project_opens_in_chinese_and_lang_en_is_remembered(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QCODER_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    app = open_app(db_path, "小王", live=False)  # a new project's language is Chinese
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert app.language == "zh"
        assert "编码员：小王" in text and "文档" in text and "编码（我的/全部）" in text and "已编码 1/8" in text
        assert "编码…" in text and "下一条未编码" in text  # the footer's key descriptions
        assert "coder:" not in text and "Next uncoded" not in text
    app.close_project()
    app = open_app(db_path, "小王", live=False, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "coder: 小王" in screen_text(app) and "Next uncoded" in screen_text(app)
    app.close_project()
    assert preferences.remembered(preferences.EVERY_PROJECT, "language") == "en"
    app = open_app(db_path, "小王", live=False)  # no --lang: the remembered choice
    assert app.language == "en"
    app.close_project()


@run_async
async def test_coding_in_chinese_writes_the_same_data(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False, language="zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "为 D01-S002 编码" in text and "回车：勾选 ✓" in text
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "按键 — qcoder · 编码" in text and "编码屏幕" in text and "为所选语句编码（选择器）" not in text
        await pilot.press("escape", "1")  # no recent code yet: a warning in Chinese, nothing stored
        await pilot.pause()
        assert any("数字键 1 还没有最近使用的编码" in str(n.message) for n in app._notifications)
    app.close_project()
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == 1


@run_async
async def test_codebook_and_reports_name_relation_types_and_levels_in_the_language(db_path: Path) -> None:
    for lang, words in (
        ("zh", ["因果关系", "核心范畴", "编码簿（我的/全部）", "概念"]),
        ("en", ["causal", "core category", "Codebook (mine/all)", "concept"]),
    ):
        app = QcoderApp(open_project(str(db_path)), "小王", live=False, language=lang)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("b")
            await pilot.pause()
            tree = app.codebook.code_tree
            tree.select_code(next(c.id for c in app.catalog.codes.values() if c.name == "创新联合体"))
            await pilot.pause()
            text = screen_text(app)
            for word in words:
                assert word in text, (lang, word)
            await pilot.press("R")
            for _ in range(50):
                await pilot.pause(0.05)
                if getattr(app.screen, "data", None) is not None:
                    break
            await pilot.press("2")
            await pilot.pause()
            text = screen_text(app)
            assert ("因果关系" in text) == (lang == "zh") and ("causal" in text) == (lang == "en"), text
            assert ("论文表格" in text) == (lang == "zh")
        app.close_project()


def test_cli_lang_option_is_checked_and_documented() -> None:
    from typer.testing import CliRunner

    from qcoder.cli import app as cli

    result = CliRunner().invoke(cli, ["tui", "--lang", "fr"])
    assert result.exit_code != 0 and "--lang takes en or zh" in result.output
    assert "--lang" in CliRunner().invoke(cli, ["tui", "--help"]).output


@run_async
async def test_similar_statements_and_suggestion_queue_in_chinese(tmp_path: Path) -> None:
    from qcoder.demo import load_demo
    from qcoder.tui.screens.suggestions import SimilarScreen, SuggestionQueueScreen

    path = tmp_path / "demo.qcoder.db"
    with open_project(str(path)) as project:
        load_demo(project)
    app = QcoderApp(open_project(str(path)), "研究者A", live=False, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SimilarScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "与 D01-S001 相似的语句" in text and "回车：转到该语句" in text and "Statements similar" not in text
        await pilot.press("escape", "S")
        await pilot.pause()
        assert isinstance(app.screen, SuggestionQueueScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "研究者A 的建议编码" in text and "已采用 0 条" in text and "x：拒绝" in text
        assert "accepted" not in text and "Suggested codes" not in text
    app.close_project()


def test_offline_guard_speaks_chinese() -> None:
    """The offline header and notices follow the interface language (the guard is built before it is chosen)."""
    from qcoder.tui.offline import OfflineGuard

    class Timer:
        def resume(self) -> None: ...

        def pause(self) -> None: ...

    class Host:
        sub_title = "coder: 小王"
        notices: list[str] = []

        def notify(self, message: str, **_options: object) -> None:
            self.notices.append(message)

        def set_interval(self, *_args: object, **_options: object) -> Timer:
            return Timer()

        def call_from_thread(self, callback, *args):  # type: ignore[no-untyped-def]
            return callback(*args)

        def reload_views(self) -> None: ...

    host = Host()
    guard = OfflineGuard(host, lambda: None, "db.example:5432")
    set_language("zh")
    guard.go_offline()
    assert host.sub_title == "离线——更改未保存 · coder: 小王"
    assert "无法连接 db.example:5432 上的服务器" in host.notices[-1]
    assert guard.refusal.startswith("离线——更改未保存：db.example:5432 上的服务器没有响应")
    guard.back_online()
    assert host.sub_title == "coder: 小王" and host.notices[-1].startswith("已恢复在线")
