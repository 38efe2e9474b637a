"""Statement attributes (speaker, time, page, question, row, level …) through a ``.qdpx`` and back.

REFI-QDA has document variables (qcoder's document attributes) but nothing for a statement's own
attributes, so they travel in qcoder's side file ``qcoder/project.json`` (other tools ignore the
``qcoder/`` folder and keep it when they re-save the zip): per source GUID, a list of
``[start, end, {name: value}]`` — the statement's span in code points of the source's text, which
is what identifies a statement across projects (ordinals and labels change on import). On import
the attributes go back onto the statements with exactly that span; a statement that already has
attributes keeps them (the project's record wins, as for codes), and what finds no statement is
counted in the import report, never silently dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qcoder.exchange import refi
from qcoder.store.models import Sentence

SIDE_KEY = "statement_attributes"

Entry = tuple[int, int, dict[str, str]]  # start, end (code points, end exclusive), attributes


def collect(session: Session, document_guids: Mapping[int, str]) -> dict[str, list[list[object]]]:
    """Every statement with attributes, per source GUID, in text order (for ``qcoder/project.json``)."""
    found: dict[str, list[list[object]]] = defaultdict(list)
    rows = session.execute(
        select(Sentence.document_id, Sentence.start, Sentence.end, Sentence.attributes).order_by(
            Sentence.document_id, Sentence.start
        )
    )
    for document_id, start, end, attributes in rows:
        if attributes and document_id in document_guids:
            found[document_guids[document_id]].append([start, end, {str(k): str(v) for k, v in attributes.items()}])
    return dict(sorted(found.items()))


def parse(side: Mapping[str, Any]) -> tuple[dict[str, list[Entry]], int]:
    """The side file's statement attributes by (normalized) source GUID, and how many entries were
    unreadable (a hand-edited file); a file without them gives nothing."""
    parsed: dict[str, list[Entry]] = {}
    bad = 0
    value = side.get(SIDE_KEY) or {}
    if not isinstance(value, dict):
        return {}, 1
    for guid, entries in value.items():
        source = refi.try_guid(str(guid))
        if source is None or not isinstance(entries, list):
            bad += 1 if not isinstance(entries, list) else len(entries)
            continue
        for entry in entries:
            if _valid(entry):
                start, end, attributes = entry
                parsed.setdefault(source, []).append((start, end, dict(attributes)))
            else:
                bad += 1
    return parsed, bad


def _valid(entry: object) -> bool:
    if not (isinstance(entry, list) and len(entry) == 3):
        return False
    start, end, attributes = entry
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end
        and isinstance(attributes, dict)
        and bool(attributes)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items())
    )


@dataclass
class Restored:
    """What ``restore`` did, for the import report."""

    restored: int = 0  # statements that got their attributes back
    kept: int = 0  # statements that already had other attributes: the project's were kept
    unplaced: int = 0  # entries whose span is no statement of the document (another split, or a changed text)
    unreadable: int = 0

    def lines(self) -> list[str]:
        out = []
        if self.restored:
            out.append(f"statement attributes (speaker, time, page …) restored on {self.restored} statement(s)")
        if self.kept:
            out.append(f"{self.kept} statement(s) already had other attributes here; the project's were kept")
        if self.unplaced:
            out.append(
                f"{self.unplaced} statement attribute record(s) match no statement here (the document was split "
                "differently); not restored"
            )
        if self.unreadable:
            out.append(
                f"{self.unreadable} statement attribute record(s) in qcoder/project.json are unreadable; skipped"
            )
        return out


def restore(session: Session, entries: Mapping[str, list[Entry]], documents: Mapping[str, int]) -> Restored:
    """Put each entry's attributes on the statement of ``documents[source GUID]`` with exactly its span."""
    result = Restored()
    changes: list[dict[str, object]] = []
    for source, wanted in entries.items():
        document_id = documents.get(source)
        if document_id is None:
            continue  # a source this import did not place (skipped, or its text differs): said elsewhere
        here = {
            (start, end): (sid, attributes or {})
            for sid, start, end, attributes in session.execute(
                select(Sentence.id, Sentence.start, Sentence.end, Sentence.attributes).where(
                    Sentence.document_id == document_id
                )
            )
        }
        for start, end, attributes in wanted:
            found = here.get((start, end))
            if found is None:
                result.unplaced += 1
            elif not found[1]:
                changes.append({"id": found[0], "attributes": attributes})
                result.restored += 1
            elif found[1] != attributes:
                result.kept += 1
    for start in range(0, len(changes), 1000):
        session.execute(update(Sentence), changes[start : start + 1000])
    return result
