"""The workbench when its PostgreSQL server stops answering: it never freezes, keeps the screen, recovers.

Probed through a local proxy to the test server that can be switched to hang (accept, never
answer). Before: pressing r (refresh) froze the whole workbench, even ``q``; after a reset it
showed "(no documents — I imports a file)". Now the call gives up, the header says
"offline — changes are not saved", edits are refused, and when the server answers again the
workbench re-reads by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netfaults import FlakyProxy
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.store.database import open_project
from qcoder.store.models import Coding, Document
from qcoder.tui.app import QcoderApp
from qcoder.tui.offline import OFFLINE_SUBTITLE

pytestmark = pytest.mark.postgres


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
        guard.timeout, guard.probe_interval = 1.0, 0.2  # a quicker test; the workbench default is 5 s
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


def test_workbench_survives_a_hanging_server(pg_url: str, proxy: FlakyProxy) -> None:
    build_project(pg_url).close()  # type: ignore[arg-type]
    database = make_url(pg_url).database
    assert database is not None
    codings = _count(pg_url, Coding)
    _hang_and_recover(proxy.url(database), proxy)
    assert _count(pg_url, Coding) == codings
    assert _count(pg_url, Document) == 2


@run_async
async def _sqlite_has_no_guard(path: str) -> None:
    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        assert app.offline_guard is None and not app.is_offline
    app.project.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_calls_stay_on_the_ui_thread(tmp_path: Path, backend: str) -> None:
    build_project(tmp_path / "p.qcoder").close()  # type: ignore[arg-type]
    _sqlite_has_no_guard(str(tmp_path / "p.qcoder"))
