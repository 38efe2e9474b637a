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
from qcoder.store.models import Code, Coder, Document, Memo, Relation, Sentence
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
    attributes: dict[str, str] = field(default_factory=dict)  # the statement's own: speaker, time, page, row


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
    version: int = 1  # what a change from a script is checked against (``--expect-version``)
    path: str | None = None  # parent/…/name, set where the name is used by more than one code


@dataclass
class RelationEntry:
    id: int
    source: str
    type: str
    target: str
    note: str
    coder: str | None
    created: str  # ISO 8601, UTC


@dataclass
class MemoEntry:
    id: int
    type: str
    target: str  # "project", "code", "document", "statement" or "relation"
    about: str  # what it is on: a code name, D03, D03-S017, "A → B"; "" for the project
    title: str
    text: str
    coder: str | None
    updated: str  # ISO 8601, UTC
    version: int


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
        StatementEntry(
            id=s.label,
            kind=s.kind,
            start=s.start,
            end=s.end,
            text=s.text,
            codes=coded.get(s.id, []),
            attributes=dict(s.attributes or {}),
        )
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
                version=c.version,
            )
        )
        for child in node.children:
            walk(child, depth + 1)

    for root in code_tree(session):
        walk(root, 0)
    _show_paths(rows)
    return rows


def relation_entries(session: Session, code: Code | None = None) -> list[RelationEntry]:
    """The typed relations of axial coding (those touching ``code`` only, if given), oldest first."""
    query = select(Relation).order_by(Relation.id)
    if code is not None:
        query = query.where((Relation.source_id == code.id) | (Relation.target_id == code.id))
    coders = {coder_id: name for coder_id, name in session.execute(select(Coder.id, Coder.name))}
    return [
        RelationEntry(
            id=r.id,
            source=r.source.name,
            type=r.type,
            target=r.target.name,
            note=r.note,
            coder=coders.get(r.coder_id) if r.coder_id is not None else None,
            created=r.created_at.isoformat(timespec="seconds"),
        )
        for r in session.scalars(query)
    ]


def memo_target(session: Session, memo: Memo) -> tuple[str, str]:
    """(what kind of thing the memo is on, which one) — the same words the CLI filters on."""
    if memo.sentence_id is not None:
        sentence = session.get(Sentence, memo.sentence_id)
        return "statement", sentence.label if sentence is not None else str(memo.sentence_id)
    if memo.code_id is not None:
        code = session.get(Code, memo.code_id)
        return "code", code.name if code is not None else str(memo.code_id)
    if memo.document_id is not None:
        document = session.get(Document, memo.document_id)
        return "document", document.label if document is not None else str(memo.document_id)
    if memo.relation_id is not None:
        relation = session.get(Relation, memo.relation_id)
        return "relation", f"{relation.source.name} → {relation.target.name}" if relation else str(memo.relation_id)
    return "project", ""


def memo_entries(
    session: Session,
    *,
    type_: str | None = None,
    target: str | None = None,
    coder: str | None = None,
    contains: str | None = None,
) -> list[MemoEntry]:
    """Every memo, oldest first, filtered by type, target kind (or the name/label it is on), coder and text."""
    coders = {coder_id: name for coder_id, name in session.execute(select(Coder.id, Coder.name))}
    rows: list[MemoEntry] = []
    for memo in session.scalars(select(Memo).order_by(Memo.created_at, Memo.id)):
        kind, about = memo_target(session, memo)
        author = coders.get(memo.coder_id) if memo.coder_id is not None else None
        if type_ and memo.type != type_:
            continue
        if target and target not in (kind, about):
            continue
        if coder and author != coder:
            continue
        if contains and contains.casefold() not in f"{memo.title}\n{memo.text}".casefold():
            continue
        rows.append(
            MemoEntry(
                id=memo.id,
                type=memo.type,
                target=kind,
                about=about,
                title=memo.title,
                text=memo.text,
                coder=author,
                updated=memo.updated_at.isoformat(timespec="seconds"),
                version=memo.version,
            )
        )
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
