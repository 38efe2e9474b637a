"""The workbench when its PostgreSQL server stops answering: it never freezes, keeps the screen, recovers.

Probed through a local proxy to the test server that can be switched to hang (accept, never
answer). Before: pressing r (refresh) froze the whole workbench, even ``q``; after a reset it
showed "(no documents — I imports a file)". Now the call gives up, the header says
"offline — changes are not saved", edits are refused, and when the server answers again the
workbench re-reads by itself.

While a call hangs — before it gives up — the keys go on (the calls run on the database lane
and answer by message): cursor moves and help are processed by Pilot steps while the call is
still unanswered, and a toggle shows "saving…", never its chip, until it is committed. The
same for a SQLite file another program holds locked ("busy"), whose waiting toggle is saved
once the file is free. And the workbench says when the project sits in a synced folder or
its ``-wal`` file vanishes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfaults import FlakyProxy
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.store.database import open_project
from qcoder.store.models import Coding, Document, DocumentReview, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.attempt import BUSY_SUBTITLE
from qcoder.tui.offline import OFFLINE_SUBTITLE
from qcoder.tui.screens.help import HelpScreen
from qcoder.tui.screens.picker import PickerScreen


@pytest.fixture
def proxy(postgres_server) -> Iterator[FlakyProxy]:  # type: ignore[no-untyped-def]
    flaky = FlakyProxy(Path(postgres_server.socket_dir))
    try:
        yield flaky
    finally:
        flaky.close()


def _count(url: str, what: type) -> int:
    with open_project(url) as project, project.session() as session:
        return session.scalar(select(func.count()).select_from(what)) or 0


@run_async
async def _hang_and_recover(url: str, proxy: FlakyProxy) -> None:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        guard = app.offline_guard
        assert guard is not None
        app.db_timeout, guard.probe_interval = 1.0, 0.2  # a quicker test; the workbench default is 5 s
        assert "一、研究意义" in screen_text(app)
        proxy.hang()
        await pilot.press("r")  # re-read: the server does not answer
        await pilot.pause()
        assert app.is_offline
        assert OFFLINE_SUBTITLE in str(app.sub_title)
        shown = screen_text(app)
        assert "一、研究意义" in shown and "访谈A" in shown  # the last state, not "(no documents …)"
        assert "no documents" not in shown
        assert "创新联合体由龙头企业牵头" in shown
        await pilot.press("x")  # mark reviewed: refused at once, nothing touches the database
        await pilot.pause()
        assert any("changes are not saved" in m and "does not answer" in m for m in messages(app))
        proxy.restore()
        for _ in range(100):  # the probe runs every 0.2 s
            await pilot.pause(0.1)
            if not app.is_offline:
                break
        assert not app.is_offline
        assert OFFLINE_SUBTITLE not in str(app.sub_title)
        assert any(m.startswith("back online") for m in messages(app))
        assert "一、研究意义" in screen_text(app)
        await pilot.press("q")
    app.project.close()


@pytest.mark.postgres
def test_workbench_survives_a_hanging_server(pg_url: str, proxy: FlakyProxy) -> None:
    build_project(pg_url).close()  # type: ignore[arg-type]
    database = make_url(pg_url).database
    assert database is not None
    codings = _count(pg_url, Coding)
    _hang_and_recover(proxy.url(database), proxy)
    assert _count(pg_url, Coding) == codings
    assert _count(pg_url, DocumentReview) == 0  # the refused "reviewed" was not saved later either
    assert _count(pg_url, Document) == 2


async def _until(pilot, condition, steps: int = 300) -> bool:  # type: ignore[no-untyped-def]
    """Pilot steps (0.05 s each) until ``condition()`` holds; whether it did."""
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def _statement(app, ordinal: int) -> int:  # type: ignore[no-untyped-def]
    return next(row.id for row in app.coding.statements if row.ordinal == ordinal)


@run_async
async def _keys_while_a_call_hangs(url: str, proxy: FlakyProxy) -> bool:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        guard = app.offline_guard
        assert guard is not None
        app.db_timeout, guard.probe_interval = 5.0, 0.2  # the default limit: room for the keys below
        await pilot.press("enter", *"rzzc", "enter")  # 融资支持 on D01-S001, committed: recent key 1
        code = next(c.id for c in app.catalog.codes.values() if c.name == "融资支持")
        view = app.coding.view
        assert code in view.mine(_statement(app, 1))
        proxy.hang()
        app.settle_database = False  # the test goes on while the call hangs, as a person would
        await pilot.press("down", "1")  # toggle 融资支持 on S002: sent, and the server never answers
        assert app.db_pending == 1 and not app.is_offline
        assert await _until(pilot, lambda: "saving…" in screen_text(app))  # pending, not shown as done
        assert code not in view.mine(_statement(app, 2))
        await pilot.press("down", "down")  # the keys go on while the call hangs
        assert view.current is not None and view.current.ordinal == 4
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is app.coding
        assert app.db_pending == 1 and not app.is_offline  # all of that before the call gave up
        assert await _until(pilot, lambda: app.is_offline)
        assert OFFLINE_SUBTITLE in str(app.sub_title)
        assert "saving…" not in screen_text(app) and code not in view.mine(_statement(app, 2))
        assert any("changes are not saved" in m for m in messages(app))
        await pilot.press("up")  # offline: keys still work
        assert view.current.ordinal == 3
        refused = len(messages(app))
        await pilot.press("1")  # refused at once, nothing sent
        assert app.db_pending == 0 and len(messages(app)) > refused
        assert code not in view.mine(_statement(app, 3))
        proxy.restore()
        assert await _until(pilot, lambda: not app.is_offline)
        app.settle_database = True
        await pilot.pause()
        assert OFFLINE_SUBTITLE not in str(app.sub_title)
        await pilot.press("1")  # back online: committed, then shown
        assert code in view.mine(_statement(app, 3))
        # The toggle that hung was either lost on the dead line or sent again by the connection pool once
        # the server was back: the screen shows which, and says so when it was saved after all.
        late = code in view.mine(_statement(app, 2))
        assert late == any("answered late" in m and "saved after all" in m for m in messages(app))
        await pilot.press("q")
    app.project.close()
    return late


@pytest.mark.postgres
def test_keys_answer_while_a_server_call_hangs(pg_url: str, proxy: FlakyProxy) -> None:
    build_project(pg_url).close()  # type: ignore[arg-type]
    database = make_url(pg_url).database
    assert database is not None
    codings = _count(pg_url, Coding)
    late = _keys_while_a_call_hangs(proxy.url(database), proxy)
    assert _count(pg_url, Coding) == codings + 2 + late  # S001 and S003, and S002 only if the screen says so


@run_async
async def _locked_file(path: str) -> None:
    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        assert app.offline_guard is None
        app.db_timeout = 0.5
        await pilot.press("enter", *"rzzc", "enter")  # 融资支持 on D01-S001: recent key 1
        code = next(c.id for c in app.catalog.codes.values() if c.name == "融资支持")
        view = app.coding.view
        other = sqlite3.connect(path, timeout=0)  # another program writes the file and holds it
        other.execute("BEGIN IMMEDIATE")
        try:
            app.settle_database = False
            await pilot.press("down", "1")  # toggle on S002: waits for the lock, on the lane
            assert await _until(pilot, lambda: "saving…" in screen_text(app))
            assert await _until(pilot, lambda: app.is_busy)
            assert BUSY_SUBTITLE in str(app.sub_title)
            assert any("locked by another program" in m for m in messages(app))
            assert code not in view.mine(_statement(app, 2))  # not shown before it is saved
            await pilot.press("down")  # keys go on
            assert view.current is not None and view.current.ordinal == 3
            await pilot.press("1")  # refused at once while the file is locked
            assert any("was not done" in m for m in messages(app))
        finally:
            other.rollback()
            other.close()
        assert await _until(pilot, lambda: not app.is_busy and app.db_pending == 0)
        app.settle_database = True
        await pilot.pause()
        assert BUSY_SUBTITLE not in str(app.sub_title)
        assert "saving…" not in screen_text(app)
        assert code in view.mine(_statement(app, 2))  # the waiting toggle was saved once the file was free
        assert code not in view.mine(_statement(app, 3))  # the refused one was not
        assert any("free again" in m for m in messages(app))
        await pilot.press("q")
    app.project.close()


def test_a_locked_sqlite_file_keeps_the_workbench_answering(tmp_path: Path) -> None:
    path = tmp_path / "p.qcoder"
    build_project(path).close()
    codings = _count(str(path), Coding)
    _locked_file(str(path))
    assert _count(str(path), Coding) == codings + 2  # S001, and S002 once the lock was gone: nothing lost


@run_async
async def _sync_folder_and_vanished_wal(path: Path) -> None:
    app = QcoderApp(open_project(str(path)), "小王", live=False, language="zh")
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        assert "坚果云" in str(app.sub_title) and "同步文件夹" in str(app.sub_title)
        assert any("同步文件夹“坚果云”" in m for m in messages(app))
        assert not any("synced folder" in m for m in messages(app))  # not the command line's English line too
        assert Path(f"{path}-wal").exists()
        Path(f"{path}-wal").unlink()  # what a sync client does
        assert await _until(pilot, lambda: any("p.qcoder-wal" in m for m in messages(app)), steps=200)
        assert "p.qcoder-wal" in str(app.sub_title)
        await pilot.press("q")
    app.project.close()


def test_workbench_warns_about_a_sync_folder_and_a_vanished_wal(tmp_path: Path) -> None:
    path = tmp_path / "坚果云" / "论文" / "p.qcoder"
    path.parent.mkdir(parents=True)
    build_project(path).close()
    _sync_folder_and_vanished_wal(path)


# D01-S002 as the segmenter stored it: “ 新基建 ” 是指 5G …
S002_TOKENS = "“ 新基建 ” 是指 5G 、 人工智能 、 数据中心 、 工业 互联网 等 科技 创新 领域 基础设施 。"
S003_TOKENS = "近 两年 ， 我国 已 在 多个 场合 明确 提出 要 加快 “ 新基建 ” 发展 步伐 。"


def _set_tokens(url: str) -> None:
    with open_project(url) as project, project.session() as session, session.begin():
        for label, tokens in (("D01-S002", S002_TOKENS), ("D01-S003", S003_TOKENS)):
            session.execute(update(Sentence).where(Sentence.label == label).values(tokens=tokens))


def _quotes(url: str) -> set[tuple[str, int | None, int | None]]:
    with open_project(url) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Coding.quote_start, Coding.quote_end).join(Coding, Coding.sentence_id == Sentence.id)
        )
        return {(label, start, end) for label, start, end in rows}


def _words(app) -> tuple[str, tuple[int, int]] | None:  # type: ignore[no-untyped-def]
    """(statement label, span) of the words being selected."""
    view = app.coding.view
    chosen = view.selected_words()
    if chosen is None or view.current is None:
        return None
    return view.current.label, chosen[1]


@run_async
async def _words_while_the_server_hangs(url: str, proxy: FlakyProxy) -> None:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        guard = app.offline_guard
        assert guard is not None
        app.db_timeout, guard.probe_interval = 5.0, 0.2  # the default limit: room for the keys below
        await pilot.press("j")
        proxy.hang()
        app.settle_database = False  # the test goes on while the call hangs, as a person would
        before = screen_text(app)
        await pilot.press("e")  # word selection starts at once, by characters: the tokens are still being read
        assert _words(app) == ("D01-S002", (0, 1))
        assert "words: ““”" in screen_text(app) and screen_text(app) != before
        await pilot.press("right", "right")  # "next word" moves by characters meanwhile, and the screen follows
        assert _words(app) == ("D01-S002", (0, 3))
        assert "words: ““新基”" in screen_text(app)
        assert app.db_pending == 1 and not app.is_offline  # all of that while the read hangs
        assert await _until(pilot, lambda: app.is_offline)  # the read gave up: the selection goes on by characters
        await pilot.press("right", "shift+right", "shift+left")
        assert _words(app) == ("D01-S002", (0, 4))
        assert "words: ““新基建”" in screen_text(app)
        await pilot.press("enter")  # the picker opens; coding the words is refused clearly, nothing is sent
        assert isinstance(app.screen, PickerScreen)
        refused = len(messages(app))
        await pilot.press(*"新基建", "enter")
        assert app.screen is app.coding and app.db_pending == 0
        assert any("changes are not saved" in m for m in messages(app)[refused:])
        assert _words(app) == ("D01-S002", (0, 4))  # still selected: nothing was coded
        proxy.restore()
        assert await _until(pilot, lambda: not app.is_offline)
        app.settle_database = True
        await pilot.pause()
        view = app.coding.view
        view.go_to(1)
        await pilot.press("e", "right")  # back online: by the segmenter's words
        assert _words(app) == ("D01-S002", (0, 4))
        await pilot.press("space")  # only 新基建
        assert _words(app) == ("D01-S002", (1, 4))
        await pilot.press("enter", *"新基建", "enter")
        assert app.screen is app.coding and _words(app) is None
        await pilot.press("q")
    app.project.close()


@pytest.mark.postgres
def test_selecting_words_while_the_server_hangs(pg_url: str, proxy: FlakyProxy) -> None:
    """Word selection asks the lane for the statement's tokens and never waits for them: while the server
    hangs the keys select by characters, the quote is refused in one line, and nothing freezes."""
    build_project(pg_url).close()  # type: ignore[arg-type]
    _set_tokens(pg_url)
    database = make_url(pg_url).database
    assert database is not None
    before = _quotes(pg_url)
    _words_while_the_server_hangs(proxy.url(database), proxy)
    assert _quotes(pg_url) == before | {("D01-S002", 1, 4)}  # only the quote made once the server was back


@run_async
async def _words_while_the_file_is_locked(path: str) -> None:
    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        app.db_timeout = 5.0  # room for the keys below before the workbench says it is busy
        await pilot.press("enter", *"rzzc", "enter")  # 融资支持 on D01-S001: recent key 1
        other = sqlite3.connect(path, timeout=0)  # another program writes the file and holds it
        other.execute("BEGIN IMMEDIATE")
        try:
            app.settle_database = False
            await pilot.press("down", "1")  # a toggle on S002 waits for the lock on the lane …
            await pilot.press("e", "right", "right")  # … and the tokens' read waits behind it: keys go by characters
            assert _words(app) == ("D01-S002", (0, 3))
            assert "words: ““新基”" in screen_text(app)
            await pilot.press("escape", "down", "e", "right")  # another statement, its tokens asked for too
            assert _words(app) == ("D01-S003", (0, 2))
            assert app.db_pending == 3
            assert await _until(pilot, lambda: app.is_busy)
            asked = app.action_count
            await pilot.press("escape", "down", "e", "right")  # busy: nothing more is asked; by characters at once
            assert _words(app) == ("D01-S004", (0, 2))
            assert app.action_count == asked
            await pilot.press("enter")  # the picker opens; coding the words is refused clearly
            assert isinstance(app.screen, PickerScreen)
            refused = len(messages(app))
            await pilot.press(*"新基建", "enter")
            assert any("was not done" in m for m in messages(app)[refused:])
            await pilot.press("escape", "up", "e", "right")  # back on S003, by characters again
            assert _words(app) == ("D01-S003", (0, 2))
        finally:
            other.rollback()
            other.close()
        # The toggle is saved, then S002's and S003's tokens come (S003's read once: the second selection on it
        # waits for the same answer): the selection on S003 is re-cut on its words, S002's words touch nothing.
        assert await _until(pilot, lambda: not app.is_busy and app.db_pending == 0)
        app.settle_database = True
        await pilot.pause()
        assert _words(app) == ("D01-S003", (0, 3))  # 近两 → 近两年: the end on to the end of its word
        await pilot.press("right")
        assert _words(app) == ("D01-S003", (0, 4))  # and on by words from there
        reads = app.action_count
        await pilot.press("escape", "up", "e", "right")  # S002's tokens were kept when they came
        assert app.action_count == reads
        assert _words(app) == ("D01-S002", (0, 4))  # “新基建
        await pilot.press("q")
    app.project.close()


def test_selecting_words_while_the_file_is_locked(tmp_path: Path) -> None:
    """Tokens that come late re-cut only the selection still on their statement; keys pressed meanwhile
    stay applied; while busy nothing is asked and a quote is refused in one line."""
    path = tmp_path / "p.qcoder"
    build_project(path).close()
    _set_tokens(str(path))
    before = _quotes(str(path))
    _words_while_the_file_is_locked(str(path))
    assert _quotes(str(path)) == before | {("D01-S001", None, None), ("D01-S002", None, None)}  # the toggles only


@run_async
async def _quit_while_a_call_hangs(url: str, proxy: FlakyProxy) -> tuple[int | None, int | None, bool]:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        assert app.offline_guard is not None
        app.db_timeout = 60.0  # the call is still unanswered when q is pressed
        proxy.hang()
        app.settle_database = False
        await pilot.press("r")  # a re-read the server never answers
        assert app.db_pending == 1 and not app.is_offline
        before = app.return_code
        await pilot.press("q")
        after = app.return_code
    # Releasing the project must not wait for the server either (the stuck call's thread is left behind).
    closed = threading.Thread(target=app.close_project, daemon=True)
    closed.start()
    closed.join(30)  # a hang detector, not a timing check
    return before, after, not closed.is_alive()


@pytest.mark.postgres
def test_q_ends_the_workbench_while_a_call_hangs(pg_url: str, proxy: FlakyProxy) -> None:
    """Before: q did nothing while the server did not answer. Now q ends the workbench while the call
    still hangs, and the project is released."""
    build_project(pg_url).close()  # type: ignore[arg-type]
    database = make_url(pg_url).database
    assert database is not None
    before, after, released = _quit_while_a_call_hangs(proxy.url(database), proxy)
    assert before is None and after == 0  # running before q; ended by it
    assert released


@run_async
async def _name_a_coder_while_the_server_hangs(url: str, proxy: FlakyProxy) -> tuple[bool, str | None]:
    from qcoder.tui.screens.coding import CodingScreen

    app = QcoderApp(open_project(url), None, live=False)  # asks "Who is coding?" first
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        guard = app.offline_guard
        assert guard is not None
        app.db_timeout, guard.probe_interval = 1.0, 0.2
        app.settle_database = False
        proxy.hang()
        await pilot.press(*"新同学", "enter")  # the coder is looked up (and joins) on the lane: it hangs
        await pilot.pause(0.1)
        answering = "Who is coding" in screen_text(app) or not isinstance(app.screen, CodingScreen)
        assert await _until(pilot, lambda: app.is_offline)  # said within the limit, the UI never froze
        proxy.restore()
        assert await _until(pilot, lambda: isinstance(app.screen, CodingScreen) and app.coding is not None)
        assert await _until(pilot, lambda: "一、研究意义" in screen_text(app))  # the screen opens once it answers
        name = app.coder_name
        await pilot.press("q")
    app.project.close()
    return answering, name


@pytest.mark.postgres
def test_naming_the_coder_while_the_server_hangs_never_freezes(pg_url: str, proxy: FlakyProxy) -> None:
    build_project(pg_url).close()  # type: ignore[arg-type]
    database = make_url(pg_url).database
    assert database is not None
    answering, name = _name_a_coder_while_the_server_hangs(proxy.url(database), proxy)
    assert answering and name == "新同学"
