"""Words selected in the workbench are the segmenter's words, read on the database lane, and a quote is them.

The document is imported through the real pipeline (jieba stores each statement's tokens); the
words the keys step through are checked against jieba's own cut of the statement, and the quote
stored in the database against the words shown — by its offsets into the statement and into the
document's stored text. The view never waits for the tokens (``DocumentView._await_tokens``): a
statement's tokens are read once per document, then kept.
"""

from __future__ import annotations

from pathlib import Path

import jieba
from sqlalchemy import select
from tui_factory import run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.corpus.importer import import_path
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Document, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.picker import PickerScreen

STATEMENTS = [
    "研究者在访谈中发现，数字化转型显著提升了中小企业的创新能力。",
    "地方政府通过产业引导基金支持龙头企业牵头组建创新联合体。",
]
CODE = "转型成效"


def _project(url: str, folder: Path) -> None:
    source = folder / "访谈记录.txt"
    source.write_text("\n".join(STATEMENTS) + "\n", encoding="utf-8")
    with open_project(url) as project:
        import_path(project, source)
        Workbench(project, "小王").create_code(CODE, 0)


def _words(text: str) -> list[str]:
    """jieba's own cut of the statement, cut here independently of qcoder (whitespace dropped)."""
    return [token for token in jieba.lcut(text) if token.strip()]


@run_async
async def _select_every_word_then_quote_one(url: str) -> tuple[list[str], str]:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        view = app.coding.view
        row = view.current
        assert row is not None and row.text == STATEMENTS[0]
        await pilot.press("e")  # the tokens come from the lane: the first word, not the first character
        seen: list[str] = []
        for _ in range(len(row.text)):
            chosen = view.selected_words()
            assert chosen is not None and chosen[0] == row.id
            start, end = chosen[1]
            seen.append(row.text[start:end])
            if end == len(row.text):
                break
            await pilot.press("right", "space")  # on to the next word; keep only it
        reads = app.action_count
        await pilot.press("escape", "e")  # the same statement again: its tokens are kept, not read again
        assert app.action_count == reads
        target = max(range(len(seen)), key=lambda i: (len(seen[i]), -i))  # its longest word
        for _ in range(target):
            await pilot.press("right", "space")
        chosen = view.selected_words()
        assert chosen is not None
        start, end = chosen[1]
        shown = row.text[start:end]
        assert f"words: “{shown}”" in screen_text(app)
        await pilot.press("enter")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*CODE, "enter")
        assert app.screen is app.coding
        assert view.selected_words() is None  # coded: word selection is over
        await pilot.press("q")
    app.close_project()
    return seen, shown


def test_selected_words_are_the_jieba_words_and_the_quote_is_what_was_shown(db_url: str, tmp_path: Path) -> None:
    _project(db_url, tmp_path)
    seen, shown = _select_every_word_then_quote_one(db_url)
    assert seen == _words(STATEMENTS[0])
    assert len(shown) > 1  # a word of several characters, not one character
    with open_project(db_url) as project, project.session() as session:
        rows = session.execute(
            select(Coding.quote_start, Coding.quote_end, Sentence.text, Sentence.start, Document.text)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .join(Document, Document.id == Sentence.document_id)
            .join(Code, Code.id == Coding.code_id)
            .where(Code.name == CODE)
        ).all()
    assert len(rows) == 1
    quote_start, quote_end, text, start, document = rows[0]
    assert quote_start is not None and quote_end is not None
    assert text[quote_start:quote_end] == shown  # code points into the statement
    assert document[start + quote_start : start + quote_end] == shown  # and into the document's stored text
