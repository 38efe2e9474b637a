"""Traditional → Simplified conversion with OpenCC (off by default: PipelineOptions.to_simplified).

Researchers who code a mixed corpus want one script so that search, codes and in-vivo
terms match (新質生產力 and 新质生产力 are the same concept). OpenCC's `t2s` uses phrase
tables, so it converts ambiguous characters by context.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from qcoder.corpus.types import ImportRefused, StepReport


@lru_cache(maxsize=1)
def _converter() -> Any:
    """Build the OpenCC converter once per process (it loads dictionaries)."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        raise ImportRefused(
            "Traditional→Simplified conversion needs the 'opencc' package; install it or turn the option off"
        ) from None
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> tuple[str, StepReport]:
    """Convert `text` to Simplified Chinese; `changes` counts characters that changed.

    This is a mapping step: nothing is listed as removed. OpenCC's t2s tables map phrases to
    phrases of the same length, and the count is checked: if a conversion ever changed the
    length, the original text is kept and a note says so, because spans must stay aligned
    with what the researcher sees.
    """
    report = StepReport("to_simplified")
    out = _converter().convert(text)
    if len(out) != len(text):
        report.notes.append("OpenCC changed the text length; conversion skipped to keep positions exact")
        return text, report
    report.changes = sum(1 for a, b in zip(text, out) if a != b) if out != text else 0
    return out, report
