"""`qcoder serve` in a real browser: Debian's chromium, headless, driven by Playwright.

The server runs as the user runs it (`python -m qcoder.cli serve`), on the demo project.
The page is read through the websocket's own bytes (the terminal is drawn on a canvas):
an init script records what the server sends, so the test sees the screens the coder
sees. A screenshot of the coded page is left in the test's tmp dir (and in
``artifacts/`` when ``QCODER_ARTIFACTS`` names a directory).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from qcoder.demo import load_demo
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coder, Coding, Sentence

ROOT = Path(__file__).resolve().parents[2]
CODER = "webcoder"
NEW_CODE = "browsertest"

# Records every websocket message as text (the terminal's bytes, decoded as a stream).
RECORD_SOCKET = """
(() => {
  const Original = window.WebSocket;
  const decoder = new TextDecoder();
  window.__screen = [];
  window.WebSocket = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        window.__screen.push(typeof data === "string" ? data : decoder.decode(data, {stream: true}));
      });
    }
  };
})();
"""
ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[str]
    link: str
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_line(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if found := re.search(pattern, line):
                return found
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"server never printed {pattern!r}; it printed:\n" + "".join(self.seen))


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.qcoder.db"
    with open_project(str(path)) as project:
        load_demo(project)
    return path


def _serve(db: Path, *args: str) -> Iterator[Served]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "qcoder.cli", "serve", "--db", str(db), "--port", str(_free_port()), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    served = Served(process, "", lines)
    try:
        served.link = served.wait_line(r"open in a browser: (\S+)").group(1)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def served(demo_db: Path) -> Iterator[Served]:
    yield from _serve(demo_db, "--max-sessions", "1")


def _screen_text(page: object) -> str:
    raw = "".join(page.evaluate("window.__screen"))  # type: ignore[attr-defined]
    return ESCAPES.sub("", raw)


def _wait_screen(page: object, needle: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in _screen_text(page):
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared on the page; it showed:\n{_screen_text(page)[-2000:]}")


def _browser_codings(db: Path) -> list[tuple[str, str]]:
    with open_project(str(db)) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Sentence.text)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Code.name == NEW_CODE, Coder.name == CODER)
        ).all()
    return [(label, text) for label, text in rows]


def _first_statement(db: Path) -> str:
    with open_project(str(db)) as project, project.session() as session:
        text = session.scalars(select(Sentence.text).order_by(Sentence.id).limit(1)).one()
    return text


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is an ended process its parent has not reaped yet
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_a_coder_codes_in_the_browser(served: Served, demo_db: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    base = served.link.split("?", 1)[0]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            # no token, a wrong token: refused, and the page says what to do
            page = browser.new_page()
            for url in (base, base + "?token=wrong", base + "static/js/textual.js"):
                response = page.goto(url)
                assert response is not None and response.status == 403, url
                assert "access token" in page.inner_text("body")
            page.close()

            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(RECORD_SOCKET)
            page = context.new_page()
            response = page.goto(served.link)
            assert response is not None and response.status == 200
            assert "token" not in (page.url.split("?", 1)[0])
            page.wait_for_selector("body.-loaded", timeout=20_000)
            pid = int(served.wait_line(r"session started: workbench process (\d+)").group(1))
            assert _process_alive(pid)

            # the session limit (1 here): a second tab is turned away while this one is open
            second = context.request.get(served.link)
            assert second.status == 503 and "limit" in second.text()

            _wait_screen(page, "Who is coding?")
            page.click("#terminal")
            page.keyboard.type(CODER)  # as fast as the browser sends keys: none may be lost
            page.keyboard.press("Enter")
            first = _first_statement(demo_db)
            _wait_screen(page, first[:6])  # the demo document's statements are on the page

            page.keyboard.press("Enter")  # the picker for the statement under the cursor
            _wait_screen(page, "pinyin initials")
            page.keyboard.type(NEW_CODE)
            page.keyboard.press("Control+n")

            deadline = time.monotonic() + 30
            while not (coded := _browser_codings(demo_db)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(coded) == 1, coded
            label, text = coded[0]
            _wait_screen(page, NEW_CODE)
            shot = tmp_path / "qcoder-serve.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if artifacts := os.environ.get("QCODER_ARTIFACTS"):
                Path(artifacts).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(artifacts) / shot.name)

            # closing the tab ends its workbench process
            page.close()
            served.wait_line(rf"session ended: workbench process {pid}\b")
            deadline = time.monotonic() + 10
            while _process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _process_alive(pid)
            context.close()
        finally:
            browser.close()
    assert label.startswith("D") and text


@pytest.fixture
def served_as_coder(demo_db: Path) -> Iterator[Served]:
    yield from _serve(demo_db, "--coder", CODER)


def _codings_by_label(db: Path) -> dict[str, set[str]]:
    """This coder's codings: statement label → code names."""
    with open_project(str(db)) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Code.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Coder.name == CODER)
        ).all()
    found: dict[str, set[str]] = {}
    for label, name in rows:
        found.setdefault(label, set()).add(name)
    return found


def _wait_codings(db: Path, expected: dict[str, set[str]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (found := _codings_by_label(db)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found == expected


def test_a_burst_of_keys_reaches_the_workbench(served_as_coder: Served, demo_db: Path) -> None:
    """Keys typed faster than the workbench draws are all applied, in order (none waits for the screen)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with open_project(str(demo_db)) as project:
        from qcoder.coding.workbench import Workbench

        bench = Workbench(project, CODER)
        rows = bench.statements(bench.documents()[0].id)
        first, eleventh = rows[0].label, rows[10].label
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(RECORD_SOCKET)
            page = context.new_page()
            page.goto(served_as_coder.link)
            page.wait_for_selector("body.-loaded", timeout=20_000)
            _wait_screen(page, rows[0].text[:6])
            page.focus("#terminal .xterm-helper-textarea")  # keys to the workbench; a click would move its cursor

            # the picker opens while its code's name is still being typed: every letter lands in it
            page.keyboard.press("Enter")
            page.keyboard.type(NEW_CODE)
            page.keyboard.press("Control+n")
            _wait_codings(demo_db, {first: {NEW_CODE}})

            # the picker opened and closed again, ten moves and a toggle of the new code (key 1), no waits:
            # the toggle lands on the 11th statement
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            page.keyboard.type("j" * 10 + "1")
            _wait_codings(demo_db, {first: {NEW_CODE}, eleventh: {NEW_CODE}})
            _wait_screen(page, eleventh.split("-")[-1])
            context.close()
        finally:
            browser.close()
