"""REFI-QDA vocabulary shared by codebook and project exchange.

GUIDs: codes, memos and relations carry their own; coders, documents and statements
have none in the database, so theirs are derived with uuid5 from content (document
SHA-256, statement ordinal, coder name). The same project exported twice therefore gets
the same GUIDs, and two projects holding the same document agree on its GUID.

qcoder-specific facts the standard has no attribute for (a code's grounded-theory level,
a memo's type, review marks, the hold-out role) travel as ordinary ``Set``s whose
``Description`` starts with a ``qcoder:`` marker; other tools show them as code/document
groups, and the files stay valid against the schemas.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from qcoder.errors import QcoderError

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "qcoder 0.1.0"
FLAT_PATH_SEPARATOR = "::"  # ATLAS.ti writes a hierarchy as "Coke::diet Coke"

QCODER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/qcoder/refi-qda")

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")

LEVEL_MARKER = "qcoder:level="
MEMO_TYPE_MARKER = "qcoder:memo-type="
RELATION_NOTE_MARKER = "qcoder:relation-note"
REVIEW_MARKER = "qcoder:reviewed-by="
ROLE_MARKER = "qcoder:role="
_LEVEL_NAME = re.compile(r"GT level (\d+)\b")


def stable_guid(kind: str, *parts: object) -> str:
    """A GUID that depends only on what it names."""
    return str(uuid.uuid5(QCODER_NAMESPACE, "\x1f".join([kind, *map(str, parts)])))


def document_guid(sha256: str) -> str:
    return stable_guid("document", sha256)


def statement_guid(sha256: str, ordinal: int) -> str:
    return stable_guid("statement", sha256, ordinal)


def coder_guid(name: str) -> str:
    return stable_guid("coder", name)


def coding_guid(sha256: str, ordinal: int, code_guid: str, coder_name: str) -> str:
    return stable_guid("coding", sha256, ordinal, code_guid, coder_name)


def run_guid(sha256: str, first: int, last: int, code_guid: str, coder_name: str) -> str:
    """A selection of statements ``first``..``last`` coded by one coder with one code."""
    return stable_guid("run", sha256, first, last, code_guid, coder_name)


def set_guid(marker: str) -> str:
    return stable_guid("set", marker)


def variable_guid(name: str) -> str:
    return stable_guid("variable", name)


def normalize_guid(value: str | None, where: str) -> str:
    """Lower-case, hyphenated, no braces; ``where`` names the line and field for the error."""
    match = _GUID.match((value or "").strip())
    if not match:
        raise QcoderError(f"{where}: {value!r} is not a GUID (like 1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294)")
    return match.group(1).lower()


def try_guid(value: str | None) -> str | None:
    match = _GUID.match((value or "").strip())
    return match.group(1).lower() if match else None


def normalize_colour(value: str | None, where: str) -> str | None:
    """``#RRGGBB`` upper-case (``#RGB`` expanded), or None when absent."""
    if value is None or not value.strip():
        return None
    match = _COLOUR.match(value.strip())
    if not match:
        raise QcoderError(f"{where}: colour {value!r} is not #RRGGBB")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return f"#{digits.upper()}"


def xml_datetime(value: datetime | None) -> str | None:
    """``xsd:dateTime`` in UTC; naive values (SQLite) are UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_datetime(value: str | None) -> datetime | None:
    """An ``xsd:dateTime`` from another tool as aware UTC (no zone: read as UTC); None if absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def level_set_name(rank: int, name: str, name_en: str) -> str:
    return f"{name} · GT level {rank} ({name_en})"


def level_of_set(name: str | None, description: str | None) -> int | None:
    """The level a ``Set`` stands for: its ``qcoder:level=N`` marker, else ``GT level N`` in its name."""
    value = marker_value(description, LEVEL_MARKER)
    rank = value.split()[0] if value else ""
    if rank.isdigit():
        return int(rank)
    match = _LEVEL_NAME.search(name or "")
    return int(match.group(1)) if match else None


def marker_value(description: str | None, marker: str) -> str | None:
    """What follows ``marker`` on the first line of a Set description, if it starts with it."""
    first = (description or "").strip().split("\n", 1)[0].strip()
    if not first.startswith(marker):
        return None
    return first[len(marker) :].strip()


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str | None) -> str:
    """``value`` without the control characters XML 1.0 cannot carry (lxml refuses them)."""
    return _XML_ILLEGAL.sub("", value or "")
