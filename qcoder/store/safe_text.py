"""Text from outside that must not act: control characters on a terminal, formulas in a spreadsheet.

Why one module at the bottom: imported documents, code names, memos and coder names reach
the terminal (CLI and workbench) and every spreadsheet qcoder writes (reports, agreement,
codebooks); each face and writer asks here, so the rule is the same everywhere.

* Terminal: control characters other than tab and newline (C0, DEL, C1 — ESC starts the
  sequences that retitle a window, clear the screen or write to the clipboard) are shown as
  visible placeholders: U+2400's control pictures (``␛`` for ESC), ``␡`` for DEL, ``�`` for C1.
* Spreadsheets, the OWASP way: a text cell beginning with ``= + - @`` or a tab or carriage
  return is a formula to Excel and LibreOffice when read from CSV; CSV cells get a leading
  apostrophe (read back by ``csv_value``), XLSX cells are stored as text cells.
"""

from __future__ import annotations

import re

# Control characters a terminal acts on: C0 except tab and newline, DEL, C1.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1: no picture of its own


def visible(text: str, *, spaces: bool = False) -> str:
    """``text`` with every control character but tab and newline replaced by a visible placeholder.

    ``spaces``: a control that is whitespace to Python (VT, FF, the separators U+001C–U+001F,
    NEL) becomes a plain space instead — for imported text, where whitespace is layout, never
    content, so the import accounting (characters read = kept + removed) still holds."""
    if not _CONTROL.search(text):
        return text
    if spaces:
        return _CONTROL.sub(lambda m: " " if m.group().isspace() else _picture(m), text)
    return _CONTROL.sub(_picture, text)


def control_count(text: str) -> int:
    """How many characters ``visible`` would replace."""
    return len(_CONTROL.findall(text))


def first_control(text: str) -> str | None:
    """A readable name of the first control character in ``text`` (``ESC``, ``BEL``, ``U+009B``), or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    names = {0x07: "BEL", 0x08: "BS", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL", 0x00: "NUL"}
    return names.get(code, f"U+{code:04X}")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read this text cell as a formula (a plain number is not)."""
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def csv_cell(text: str) -> str:
    """A text cell for CSV: formula-looking text gets a leading apostrophe, so it stays text."""
    return "'" + text if is_formula_like(text) else text


def csv_value(cell: str) -> str:
    """What ``csv_cell`` wrote, read back: the apostrophe before a formula-looking text goes."""
    return cell[1:] if cell.startswith("'") and is_formula_like(cell[1:]) else cell
