"""What the project holds, listed for scripts: documents, a document's statements, the codebook.

Why here and not in a face: ``qcoder docs``, ``qcoder show`` and ``qcoder codes`` print
these listings as text or JSON, and anything else that wants the same listing (another
face, a script importing qcoder) must get the same rows. Each function takes a read
session and returns plain records whose fields are the JSON keys, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding import reads
from qcoder.coding.codes import CodeNode, code_tree
from qcoder.coding.codings import codings_of_document
from qcoder.coding.statements import find_document
from qcoder.store.models import Code, Coder, Document, Sentence
from qcoder.store.settings import levels


@dataclass
class DocumentEntry:
    id: str  # the document's label, D03
    name: str
    role: str
    statements: int
    encoding: str
    attributes: dict[str, str]
    reviewed_by: list[str]  # coders who marked it completely coded, in the order they did
    sha256: str


@dataclass
class StatementEntry:
    id: str  # the statement's label, D03-S017
    kind: str  # sentence or heading
    start: int  # [start, end) in code points of the document's text
    end: int
    text: str
    codes: list[str] = field(default_factory=list)  # "code@coder", with ``codes=True``


@dataclass
class CodeEntry:
    name: str
    level: str  # the level's key
    level_name: str
    parent: str | None
    guid: str
    definition: str
    colour: str | None
    codings: int  # all coders'
    depth: int  # in the tree: 0 for a top code
    path: str | None = None  # parent/…/name, set where the name is used by more than one code


def document_entries(session: Session) -> list[DocumentEntry]:
    """Every document in import order, with its statement count and reviewers (not its bytes or text)."""
    reader = reads.Reader.of_session(session)
    counts, reviewers = reads.statement_counts(reader), reads.reviewers_by_document(reader)
    columns = (
        Document.id,
        Document.label,
        Document.name,
        Document.role,
        Document.encoding,
        Document.attributes,
        Document.sha256,
    )
    return [
        DocumentEntry(
            id=label,
            name=name,
            role=role,
            statements=counts.get(doc_id, 0),
            encoding=encoding,
            attributes=attributes,
            reviewed_by=reviewers.get(doc_id, []),
            sha256=sha,
        )
        for doc_id, label, name, role, encoding, attributes, sha in session.execute(
            select(*columns).order_by(Document.id)
        )
    ]


def statement_entries(session: Session, document: str, *, codes: bool = False) -> tuple[str, str, list[StatementEntry]]:
    """(label, name, statements in order) of the document named by ``document`` (ID, name or
    unique prefix); with ``codes``, each statement's codes as ``code@coder``."""
    doc = find_document(session, document)
    coded: dict[int, list[str]] = {}
    if codes:
        names = dict(session.execute(select(Code.id, Code.name)).all())
        coders = dict(session.execute(select(Coder.id, Coder.name)).all())
        for sid, cid, coder in codings_of_document(session, doc.id):
            coded.setdefault(sid, []).append(f"{names[cid]}@{coders[coder]}")
    rows = [
        StatementEntry(id=s.label, kind=s.kind, start=s.start, end=s.end, text=s.text, codes=coded.get(s.id, []))
        for s in session.scalars(select(Sentence).where(Sentence.document_id == doc.id).order_by(Sentence.ordinal))
    ]
    return doc.label, doc.name, rows


def code_entries(session: Session) -> list[CodeEntry]:
    """The codebook depth first (a parent before its children), each code with its level and coding count."""
    ladder = levels(session)
    counts = reads.coding_counts(reads.Reader.of_session(session))
    rows: list[CodeEntry] = []

    def walk(node: CodeNode, depth: int) -> None:
        c = node.code
        known = c.level < len(ladder)
        rows.append(
            CodeEntry(
                name=c.name,
                level=ladder[c.level].key if known else str(c.level),
                level_name=ladder[c.level].name if known else str(c.level),
                parent=c.parent.name if c.parent else None,
                guid=c.guid,
                definition=c.definition,
                colour=c.colour,
                codings=counts.get(c.id, 0),
                depth=depth,
            )
        )
        for child in node.children:
            walk(child, depth + 1)

    for root in code_tree(session):
        walk(root, 0)
    _show_paths(rows)
    return rows


def _show_paths(rows: list[CodeEntry]) -> None:
    """Give the path to every code whose name another code also has (rows are depth first)."""
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.name] = seen.get(row.name, 0) + 1
    trail: list[str] = []
    for row in rows:
        del trail[row.depth :]
        trail.append(row.name)
        if seen[row.name] > 1:
            row.path = "/".join(trail)
