"""The workbench tests read English screens unless they ask for Chinese (``QCODER_LANG`` / ``language=``).

A new project's language is Chinese, so ``open_app`` would choose Chinese; the tests
written against the English screen text pin English here, and the language tests
(``test_i18n.py``) choose explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qcoder.i18n import set_language


@pytest.fixture(autouse=True)
def english_interface(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("QCODER_LANG", "en")
    yield
    set_language("en")


@pytest.fixture(autouse=True)
def settled_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot waits for the database calls a key started (``AttemptApp.attempt_then``) and for keys kept until a
    fast launch's rest is in, as a person waits to see
    a toggle land. The workbench itself never waits: its calls answer by message. A test that shows the screen
    answering while a call hangs sets ``app.settle_database = False``."""
    import asyncio

    from textual.pilot import Pilot

    original = Pilot._wait_for_screen

    async def wait_for_screen(self: Pilot, timeout: float = 30.0) -> bool:  # type: ignore[type-arg]
        done = await original(self, timeout)
        app = self.app

        def waiting() -> bool:  # a lane call, or a key kept until a fast launch's rest is in
            keys_wait = getattr(app, "keys_wait", None)
            return bool(getattr(app, "db_pending", 0)) or (callable(keys_wait) and bool(keys_wait()))

        if not getattr(app, "settle_database", True) or not waiting():
            return done
        for _ in range(30_000):  # bounded: a call that runs over leaves the count after ``db_timeout``
            await asyncio.sleep(0.002)
            if not waiting():
                break
        return await original(self, timeout)

    monkeypatch.setattr(Pilot, "_wait_for_screen", wait_for_screen)
