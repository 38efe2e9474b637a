"""Small text helpers shared by the readers: joining wrapped lines the way Chinese and Latin text need."""

from __future__ import annotations

import re

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
