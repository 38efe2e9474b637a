"""Small text helpers shared by the readers: joining wrapped lines the way Chinese and Latin text need."""

from __future__ import annotations

import re

from qcoder.corpus.blocks import Block
from qcoder.corpus.types import StepReport

CJK_CLASS = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"  # CJK, CJK punctuation, full-width
_CJK_GAP = re.compile(f"(?<=[{CJK_CLASS}])\\s+(?=[{CJK_CLASS}])")
_SPACES = re.compile(r"\s+")


def visible(text: str) -> int:
    """Characters that count in the import accounting (whitespace does not)."""
    return len("".join(text.split()))


def tidy(text: str) -> str:
    """Whitespace collapsed to single spaces; none left between two CJK characters (a wrapped line)."""
    return _SPACES.sub(" ", _CJK_GAP.sub("", text)).strip()


def glue(a: str, b: str) -> str:
    """Join two pieces of one paragraph: CJK directly, Latin words with one space."""
    a, b = a.rstrip(), b.lstrip()
    if not a or not b:
        return a + b
    if re.match(f"[{CJK_CLASS}]", a[-1]) or re.match(f"[{CJK_CLASS}]", b[0]):
        return a + b
    return a + " " + b


def report(step: str, removed: list[str], notes: list[str] | None = None) -> StepReport:
    """A reader's StepReport: one change per removed item."""
    return StepReport(step, changes=len(removed), removed=removed, notes=notes or [])


def one_line(text: str) -> str:
    """A block's lines as one line, joined the way a wrapped paragraph needs (CJK directly, Latin spaced)."""
    out = ""
    for line in text.split("\n"):
        out = glue(out, line.strip())
    return out


def settle_paragraphs(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Paragraph blocks whose lines (``<br>``, line breaks in the source) start with speaker labels
    (访谈者：, 问：, Q:, P1: …) become turns — a turn never spans two speakers, and every statement
    of a turn carries its speaker and time; the labels taken off are returned to be listed as removed.
    A line without a label continues the turn before it (not across a heading or a table). Paragraphs that are no transcript are joined
    into one line, as before. Other blocks (headings, list items, table rows) are kept as they are."""
    from dataclasses import replace

    from qcoder.corpus.transcript import find_turns

    lines = [line.strip() for b in blocks if b.kind == "paragraph" for line in b.text.split("\n") if line.strip()]
    turns = find_turns(lines) if lines else None
    if turns is None:
        return [replace(b, text=one_line(b.text)) if b.kind == "paragraph" else b for b in blocks], []
    labels: list[str] = []
    out: list[Block] = []
    current: dict[str, str] | None = None
    at = 0
    for block in blocks:
        if block.kind != "paragraph":
            if block.kind in ("heading", "table_row"):
                current = None  # a new section or a table ends the turn: what follows needs its own label
            out.append(block)
            continue
        pieces: list[Block] = []
        for line in (line.strip() for line in block.text.split("\n")):
            if not line:
                continue
            turn = turns.get(at)
            at += 1
            if turn is not None:
                current = {k: v for k, v in (("speaker", turn.speaker), ("time", turn.time)) if v}
                if visible(turn.label):
                    labels.append(turn.label.strip())
                pieces.append(Block(tidy(turn.rest), "turn", attributes=dict(current)))
            elif pieces:
                pieces[-1] = replace(pieces[-1], text=glue(pieces[-1].text, line))
            else:
                pieces.append(Block(line, "turn", attributes=dict(current)) if current is not None else Block(line))
        out.extend(piece for piece in pieces if piece.text)
    return out, labels
