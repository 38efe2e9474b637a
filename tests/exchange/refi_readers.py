"""Readers of a ``.qdpx`` written the way other tools read one, to check what they would get.

``qualcoder_codings`` follows QualCoder's REFI-QDA project import (``refi.py``,
``load_codings_for_text``): every ``Coding`` of a ``PlainTextSelection`` is credited to the
*selection's* ``creatingUser`` (else ``modifyingUser``, else "default"), its own
``creatingUser`` is ignored, and the ``code_text`` table keeps one row per (code, source,
start, end, owner) — a second one is dropped as "Duplicated text coding". Positions are read
as code points of the source text, as Python reads the file.

``expand`` turns such selections back into statements with the project's own statement
offsets, so a count can be compared with qcoder's codings one coder at a time.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from qcoder.exchange import refi
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Document, Sentence

NS = "{urn:QDA-XML:project:1.0}"


@dataclass(frozen=True)
class KeptCoding:
    code: str  # code GUID
    source: str  # source GUID
    start: int
    end: int
    owner: str  # coder name


def qualcoder_codings(package: bytes) -> list[KeptCoding]:
    """The codings QualCoder's importer keeps from ``package``, in file order."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        root = ET.fromstring(archive.read("project.qde"))
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{NS}User")}
    kept: dict[tuple[str, str, int, int, str], KeptCoding] = {}
    for source in root.iter(f"{NS}TextSource"):
        for selection in source.findall(f"{NS}PlainTextSelection"):
            pos0, pos1 = int(selection.get("startPosition")), int(selection.get("endPosition"))
            user_guid = selection.get("creatingUser") or selection.get("modifyingUser")
            owner = users.get(user_guid, "default")
            for coding in selection.findall(f"{NS}Coding"):
                code = next(iter(coding)).get("targetGUID")
                key = (code, source.get("guid"), pos0, pos1, owner)
                kept.setdefault(key, KeptCoding(*key))  # unique(cid, fid, pos0, pos1, owner)
    return list(kept.values())


def expand(project: Project, spans: list[tuple[str, str, int, int, str]]) -> Counter[tuple[str, str, str, str]]:
    """(code GUID, source GUID, start, end, coder) spans → one (document, statement, code, coder) per
    statement a span overlaps; positions in code points of the document's text."""
    with project.session() as s:
        docs = {refi.document_guid(d.sha256): d.id for d in s.scalars(select(Document))}
        rows = s.execute(select(Sentence.document_id, Sentence.label, Sentence.start, Sentence.end)).all()
        names = dict(s.execute(select(Code.guid, Code.name)).all())
    by_doc: dict[int, list[tuple[str, int, int]]] = {}
    for doc_id, label, start, end in rows:
        by_doc.setdefault(doc_id, []).append((label, start, end))
    found: Counter[tuple[str, str, str, str]] = Counter()
    for code, source, start, end, coder in spans:
        for label, s_start, s_end in by_doc[docs[source]]:
            if s_start < end and s_end > start:
                found[(label.rsplit("-", 1)[0], label, names[code], coder)] += 1
    return found


def project_codings(project: Project) -> Counter[tuple[str, str, str, str]]:
    """qcoder's own codings as (document, statement, code, coder)."""
    with project.session() as s:
        rows = s.execute(
            select(Sentence.label, Code.name, Coder.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        ).all()
    return Counter((label.rsplit("-", 1)[0], label, code, coder) for label, code, coder in rows)


def per_coder(codings: Counter[tuple[str, str, str, str]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for key, n in codings.items():
        counts[key[3]] += n
    return dict(counts)
