"""Importing a REFI-QDA project (``.qdpx``/``.qde``) from qcoder or another tool.

``import_project`` reads and checks the whole file first (``qdpx_read``), then writes in
the caller's transaction, so a refused or failing import leaves the project unchanged.
What lands where:

* text sources → documents (qcoder's own side data restores statements exactly; other
  tools' texts are split but not cleaned, see ``documents``); a document already in the
  project (same SHA-256) is reused;
* selections → codings on every statement they overlap, each keeping the exact words the
  selection covers in that statement as its quote span (whole statement: no span);
* users → coders (only those who coded or wrote something; codings without a user go to
  ``fallback_coder``); codes matched by GUID, then by name and level, else created;
* notes → memos on what refers to them; links between codes → relations; review and
  hold-out Sets → review marks and roles.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import clean_code_name, code_at, create_code
from qcoder.coding.codings import Quote, add_codings, mark_reviewed
from qcoder.coding.memos import add_memo
from qcoder.coding.relations import add_relation, find_relation
from qcoder.corpus.types import PipelineOptions
from qcoder.exchange import refi
from qcoder.exchange.codebook import extend_ladder, plan_codebook_import
from qcoder.exchange.codebook_read import ParsedCodebook
from qcoder.exchange.documents import StatementIndex, insert_document, verbatim_document
from qcoder.exchange.package import Package, read_package
from qcoder.exchange.qdpx_export import memo_description
from qcoder.exchange.qdpx_read import LinkData, ParsedProject, SourceData, read_project
from qcoder.exchange.statement_attributes import restore as restore_statement_attributes
from qcoder.store.events import log_event
from qcoder.store.labels import lock_document_labels
from qcoder.store.models import BUILTIN_RELATION_TYPES, Code, Coder, Document, Memo, Relation, Sentence
from qcoder.store.settings import get_setting, levels, pipeline_options, set_setting


def _normalized(text: str) -> str:
    """Text as another tool may hand it back: NFC, LF line ends, no trailing blanks on lines or at the end."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


__all__ = ["ImportReport", "import_parsed", "import_project", "read_package", "read_project"]


@dataclass
class ImportReport:
    source: str
    origin: str = ""  # the tool that wrote the file
    documents_new: int = 0
    documents_existing: int = 0
    documents_by_text: int = 0  # of the existing: matched by their text, not their bytes
    codes_new: int = 0
    codes_matched: int = 0
    selections: int = 0
    selections_partial: int = 0
    selections_unplaced: int = 0
    quotes_widened: int = 0
    codings: int = 0
    memos: int = 0
    relations: int = 0
    reviews: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (
            f"{self.source}"
            + (f" (written by {self.origin})" if self.origin else "")
            + f": {self.documents_new} new documents ({self.documents_existing} already here), "
            f"{self.codes_new} new codes ({self.codes_matched} matched), {self.codings} codings from "
            f"{self.selections} selections, {self.memos} memos, {self.relations} relations, {self.reviews} reviews"
        )
        lines = [head]
        if self.documents_by_text:
            lines.append(
                f"{self.documents_by_text} document(s) came back from another tool with other bytes but the same "
                "text; matched by their text, not imported twice"
            )
        if self.selections_partial:
            lines.append(
                f"{self.selections_partial} selection(s) cover only part of a statement; "
                "kept as quote spans (the statement is the unit for counts)"
            )
        if self.quotes_widened:
            lines.append(
                f"{self.quotes_widened} selection(s) fell in a statement the same coder had already coded with the "
                "same code; one coding kept, its quote widened to cover both"
            )
        if self.selections_unplaced:
            lines.append(
                f"{self.selections_unplaced} selection(s) cover no statement (empty or blank) and were skipped"
            )
        return lines + self.notes


@dataclass
class _Placed:
    """A document in the project and its statements."""

    document: Document
    statements: StatementIndex
    usable: bool = True  # False: an existing document whose text differs from the source's


class _Writer:
    def __init__(
        self,
        session: Session,
        parsed: ParsedProject,
        fallback_coder: str,
        options: PipelineOptions,
        levels_mode: str | None = None,
    ) -> None:
        self.session = session
        self.levels_mode = levels_mode
        self.parsed = parsed
        self.options = options
        self.fallback_coder = fallback_coder
        self.report = ImportReport(source=parsed.source, origin=parsed.origin, notes=list(parsed.report))
        self.coders: dict[str | None, Coder] = {}
        self.codes: dict[str, Code] = {}  # file GUID → project code
        self.placed: dict[str, _Placed] = {}  # source GUID → document
        self.memo_targets: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
        self.unknown_users = 0
        self.new_codes: set[str] = set()  # file GUIDs of the codes this import created

    def note(self, line: str) -> None:
        self.report.notes.append(line)

    def coder(self, user: str | None) -> Coder:
        if user not in self.coders:
            name = self.parsed.users.get(user) if user else None
            if name is None:
                self.unknown_users += 1
            self.coders[user] = get_or_create_coder(self.session, name or self.fallback_coder)
            if user and name is not None and user != refi.coder_guid(self.coders[user].name):
                kept = dict(get_setting(self.session, "refi_guids") or {})
                users = dict(kept.get("users") or {})
                if self.coders[user].name not in users:
                    users[self.coders[user].name] = user
                    kept["users"] = users
                    set_setting(self.session, "refi_guids", kept)
        return self.coders[user]

    def run(self) -> ImportReport:
        lock_document_labels(self.session)  # which documents are already here holds until commit
        self.import_codes()
        for source in self.parsed.sources:
            self.import_source(source)
        self.import_codings()
        self.import_statement_attributes()
        self.import_exemplars()
        self.import_links()
        self.import_memos()
        self.import_reviews()
        if self.unknown_users:
            self.note(f"work without a known user was credited to coder {self.fallback_coder!r}")
        report = self.report
        if (
            report.documents_new
            or report.codes_new
            or report.codings
            or report.memos
            or report.relations
            or report.reviews
        ):
            log_event(
                self.session,
                None,
                "project.import",
                source=self.parsed.source,
                documents=report.documents_new,
                codes=report.codes_new,
                codings=report.codings,
                memos=report.memos,
            )
        return report

    # -- codes -----------------------------------------------------------------------

    def import_codes(self) -> None:
        if not self.parsed.codes:
            return
        plan = plan_codebook_import(
            self.session, ParsedCodebook(self.parsed.source, self.parsed.codes), levels_mode=self.levels_mode
        )
        extend_ladder(self.session, plan.extend_ladder)
        self.report.notes.extend(plan.notes)
        ladder = levels(self.session)
        top = len(ladder) - 1
        if self.parsed.ladder and self.parsed.ladder != [level.key for level in ladder]:
            self.note(
                f"the file's level ladder ({', '.join(self.parsed.ladder)}) differs from this project's; "
                "codes keep their level numbers"
            )
        differing = 0
        for item in plan.items:  # parents first
            entry = item.entry
            existing_id = item.code_id or item.clash_code_id
            if existing_id is not None:
                self.codes[entry.key] = self.session.get_one(Code, existing_id)
                self.report.codes_matched += 1
                differing += bool(item.changes)
                continue
            level = min(max(item.level, 0), top)
            parent = self.codes.get(item.parent_key) if item.parent_key else None
            dropped = parent is not None and parent.level <= level
            under = None if dropped or parent is None else parent.id
            clash = code_at(self.session, clean_code_name(entry.name), level, parent_id=under)
            if clash is not None:
                self.note(
                    f"code {self._file_path(entry.key)!r}: the same name and parent as {self._project_path(clash)!r}; "
                    "qcoder keeps names unique per parent, so its codings were put on that code"
                )
                self.codes[entry.key] = clash
                self.report.codes_matched += 1
                continue
            if item.kind == "conflicting" or dropped:
                self.note(
                    f"code {entry.name!r}: {item.reason or 'its parent is not at a higher level'}; imported at level "
                    f"{level}" + (f" without its parent {parent.name!r}" if dropped and parent is not None else "")
                )
            if dropped:
                parent = None
            self.codes[entry.key] = create_code(
                self.session,
                entry.name,
                level=level,
                parent=parent,
                definition=entry.definition,
                colour=entry.colour,
                guid=entry.guid,
            )
            if entry.guid in self.parsed.created:
                self.codes[entry.key].created_at = self.parsed.created[entry.guid]
            self.new_codes.add(entry.key)
            self.report.codes_new += 1
        if differing:
            self.note(
                f"{differing} code(s) differ from the project's version (name, parent, definition or colour); kept the project's"
            )
        for code_guid, notes in self.parsed.code_notes.items():
            for note in notes:
                self.memo_targets[note].append(("code", self.codes[code_guid].id))

    def _file_path(self, key: str) -> str:
        """A code's path in the file (parent/child), to tell apart codes of one name."""
        entries = {entry.key: entry for entry in self.parsed.codes}
        names: list[str] = []
        current: str | None = key
        while current is not None and current in entries and len(names) < 50:
            names.append(entries[current].name)
            current = entries[current].parent_key
        return "/".join(reversed(names))

    def _project_path(self, code: Code) -> str:
        names = [code.name]
        parent = code.parent
        while parent is not None and len(names) < 50:
            names.append(parent.name)
            parent = parent.parent
        return "/".join(reversed(names))

    # -- documents -------------------------------------------------------------------

    def import_source(self, source: SourceData) -> None:
        """A source already here is matched by its bytes' hash, then by its text (a document that
        went to another tool and came back has other bytes but the text qcoder gave it), else new."""
        sha = source.side.sha256 if source.side else hashlib.sha256(source.raw).hexdigest()
        existing = self.session.scalar(select(Document).where(Document.sha256 == sha))
        by_text = False
        if existing is None:
            existing, by_text = self._same_text(source), True
        if existing is not None:
            self.report.documents_existing += 1
            self.report.documents_by_text += by_text
            usable = existing.text == source.text
            if not usable:
                self.note(
                    f"source {source.name!r} is already here as {existing.label} but with a cleaned text; "
                    "its selections were not placed"
                )
            self._keep_guid(source.guid, existing)
            self._place(source, existing, usable)
            return
        role = "holdout" if source.guid in self.parsed.holdout else "coding"
        if source.side is not None:
            source.side.role = role
            document = insert_document(self.session, source.side, via="qdpx")
        else:
            from qcoder.corpus.importer import store_document

            processed = verbatim_document(source.raw, source.decoded, source.text, self.options, source.line_ends)
            document = store_document(
                self.session,
                processed,
                name=source.name,
                source_path=f"{self.parsed.source}:{source.path}",
                attributes=source.variables,
                role=role,
            )
        self.report.documents_new += 1
        self._keep_guid(source.guid, document)
        self._place(source, document, True)

    def _same_text(self, source: SourceData) -> Document | None:
        """The project's document with this text: exactly, else after normalizing (NFC, line ends,
        trailing blanks) — a match of the second kind is used only if the texts are equal."""
        wanted = _normalized(source.text)
        exact = None
        for document_id, text in self.session.execute(select(Document.id, Document.text)):
            if text == source.text:
                exact = document_id
                break
            if exact is None and _normalized(text) == wanted:
                exact = document_id
        return self.session.get(Document, exact) if exact is not None else None

    def _keep_guid(self, guid: str, document: Document) -> None:
        """Remember another tool's GUID for the document, so our export gives it back."""
        if guid == refi.document_guid(document.sha256):
            return
        kept = dict(get_setting(self.session, "refi_guids") or {})
        sources = dict(kept.get("sources") or {})
        if sources.get(document.sha256) != guid:
            sources.setdefault(document.sha256, guid)
            kept["sources"] = sources
            set_setting(self.session, "refi_guids", kept)

    def _place(self, source: SourceData, document: Document, usable: bool) -> None:
        self.placed[source.guid] = _Placed(document, StatementIndex.of(self.session, document.id), usable)
        for note in source.note_refs:
            self.memo_targets[note].append(("document", document.id))

    # -- codings ---------------------------------------------------------------------

    def import_codings(self) -> None:
        """Each selection codes every statement it overlaps, keeping the exact words it covers in
        each as that coding's quote span (None where it covers the whole statement)."""
        batches: dict[tuple[int, int], dict[int, Quote | None]] = defaultdict(dict)
        times: dict[tuple[int, int], dict[int, datetime]] = defaultdict(dict)
        for source in self.parsed.sources:
            placed = self.placed[source.guid]
            for selection in source.selections:
                self.report.selections += 1
                pieces = placed.statements.pieces(selection.start, selection.end) if placed.usable else []
                if not pieces:
                    self.report.selections_unplaced += placed.usable
                    target: tuple[str, int | None] = ("document", placed.document.id)
                else:
                    self.report.selections_partial += any(span is not None for _sid, span in pieces)
                    target = ("sentence", pieces[0][0])
                for index, (code_guid, user) in enumerate(selection.codings):
                    key = (self.codes[code_guid].id, self.coder(user).id)
                    when = selection.coded_at[index] if index < len(selection.coded_at) else None
                    for sid, span in pieces:
                        self._add_piece(batches[key], sid, span)
                        if when is not None:
                            times[key].setdefault(sid, when)
                for note in selection.note_refs:
                    self.memo_targets[note].append(target)
                notes_text = memo_description([self.parsed.notes[n].text for n in selection.note_refs])
                if selection.description and selection.description != notes_text.strip():
                    self._selection_comment(selection.guid, selection.description, target)
        for key, spans in batches.items():
            code_id, coder_id = key
            self.report.codings += len(
                add_codings(self.session, list(spans), code_id, coder_id, quotes=spans, created_at=times.get(key))
            )

    def _add_piece(self, spans: dict[int, Quote | None], sid: int, span: Quote | None) -> None:
        """Two selections of one coder with one code in one statement: one coding, whose quote covers both."""
        if sid not in spans:
            spans[sid] = span
            return
        old = spans[sid]
        if old == span:
            return
        self.report.quotes_widened += 1
        spans[sid] = None if old is None or span is None else (min(old[0], span[0]), max(old[1], span[1]))

    def import_statement_attributes(self) -> None:
        """Statements' own attributes (speaker, time, page …) from qcoder's record in the file."""
        documents = {guid: placed.document.id for guid, placed in self.placed.items() if placed.usable}
        result = restore_statement_attributes(self.session, self.parsed.statement_attributes, documents)
        result.unreadable = self.parsed.statement_attributes_unreadable
        self.report.notes.extend(result.lines())

    def import_exemplars(self) -> None:
        """Exemplar statements (qcoder's record in the file) for codes that have none yet."""
        by_source = {guid: placed for guid, placed in self.placed.items() if placed.usable}
        for code_guid, (source_guid, ordinal) in self.parsed.exemplars.items():
            code, placed = self.codes.get(code_guid), by_source.get(source_guid)
            if code is None or placed is None or code.exemplar_sentence_id is not None:
                continue
            sentence_id = self.session.scalar(
                select(Sentence.id).where(Sentence.document_id == placed.document.id, Sentence.ordinal == ordinal)
            )
            if sentence_id is not None:
                code.exemplar_sentence_id = sentence_id

    def _has_memo(self, guid: str) -> bool:
        return self.session.scalar(select(Memo.id).where(Memo.guid == guid)) is not None

    def _selection_comment(self, guid: str, text: str, target: tuple[str, int | None]) -> None:
        memo_guid = refi.stable_guid("selection-comment", guid)
        if not self._has_memo(memo_guid):
            add_memo(self.session, text, target=target[0], target_id=target[1], title="comment", guid=memo_guid)
            self.report.memos += 1

    # -- links, memos, reviews -------------------------------------------------------

    def import_links(self) -> None:
        kinds = self.parsed.kinds
        skipped = 0
        for link in self.parsed.links:
            ends = [kinds.get(link.origin or ""), kinds.get(link.target or "")]
            if ends == ["Code", "Code"] and link.origin != link.target:
                self._relation(
                    link.guid, link.origin or "", link.target or "", link.name, link.direction, link.note_refs
                )
            elif "Note" in ends and self._note_link(link, ends):
                continue
            else:
                skipped += 1
        if skipped:
            self.note(
                f"{skipped} link(s) not imported: qcoder keeps links between two codes, "
                "and links from a note to a code, document or statement"
            )

    def _note_link(self, link: LinkData, ends: list[str | None]) -> bool:
        """A link from a note to what it is about: use it as the memo's target."""
        note, other = (link.origin, link.target) if ends[0] == "Note" else (link.target, link.origin)
        kind = self.parsed.kinds.get(other or "")
        if kind == "Code" and other in self.codes:
            self.memo_targets[note or ""].append(("code", self.codes[other].id))
        elif kind == "TextSource" and other in self.placed:
            self.memo_targets[note or ""].append(("document", self.placed[other].document.id))
        elif kind == "PlainTextSelection":
            for source in self.parsed.sources:
                for selection in source.selections:
                    if selection.guid == other:
                        placed = self.placed[source.guid]
                        ids, _ = placed.statements.overlapping(selection.start, selection.end)
                        self.memo_targets[note or ""].append(
                            ("sentence", ids[0]) if ids else ("document", placed.document.id)
                        )
                        return True
            return False
        else:
            return False
        return True

    def _relation_type(self, name: str, direction: str) -> str:
        cleaned = " ".join(name.lower().split())
        if not cleaned:
            cleaned = "causal" if direction == "OneWay" else "similarity"
        added = get_setting(self.session, "relation_types")
        if cleaned not in (*BUILTIN_RELATION_TYPES, *added):
            set_setting(self.session, "relation_types", [*added, cleaned])
            self.note(f"relation type {cleaned!r} added to the project's relation types")
        return cleaned

    def _relation(self, guid: str, origin: str, target: str, name: str, direction: str, note_refs: list[str]) -> None:
        source_code, target_code = self.codes[origin], self.codes[target]
        relation = self.session.scalar(select(Relation).where(Relation.guid == guid))
        type_ = self._relation_type(name, direction)
        if relation is None:
            relation = find_relation(self.session, source_code.id, target_code.id, type_)
        if relation is None:
            own = [self.parsed.notes[n] for n in note_refs if n in self.parsed.relation_notes]
            coder_name = self.parsed.relation_coders.get(guid)
            if coder_name:
                coder: Coder | None = get_or_create_coder(self.session, coder_name)
            else:  # without qcoder's side file, the relation's note says who wrote it
                coder = self.coder(own[0].user) if own and own[0].user in self.parsed.users else None
            text = own[0].text if own else ""
            relation = add_relation(self.session, source_code, target_code, type_, text, coder=coder, guid=guid)
            if guid in self.parsed.created:
                relation.created_at = self.parsed.created[guid]
            self.report.relations += 1
        for note in note_refs:
            if note not in self.parsed.relation_notes:
                self.memo_targets[note].append(("relation", relation.id))

    def import_memos(self) -> None:
        for ref in self.parsed.project_notes:
            self.memo_targets[ref].append(("project", None))
        for guid, note in self.parsed.notes.items():
            if guid in self.parsed.relation_notes:
                continue
            if self._has_memo(guid):
                continue
            targets = list(dict.fromkeys(self.memo_targets.get(guid, []))) or [("project", None)]
            statements = [t for t in targets if t[0] == "sentence"]
            if statements and all(t[0] in ("sentence", "document") for t in targets) and len(statements) == 1:
                targets = statements  # a statement's memo, also on its source for tools that read only that
            if len(targets) > 1:
                self.note(f"note {note.name or guid!r} is referred to from {len(targets)} places; kept on the first")
            memo_type = self.parsed.memo_types.get(guid, "theoretical")
            coder = self.coder(note.user) if note.user in self.parsed.users else None
            memo = add_memo(
                self.session,
                note.text,
                type_=memo_type,
                target=targets[0][0],
                target_id=targets[0][1],
                title="" if guid in self.parsed.untitled_memos else note.name[:200],
                coder=coder,
                guid=guid,
            )
            if note.created is not None:
                memo.created_at = note.created
            self.report.memos += 1

    def import_reviews(self) -> None:
        for user, source in self.parsed.reviews:
            placed = self.placed.get(source)
            if placed is not None and user in self.parsed.users:
                self.report.reviews += mark_reviewed(self.session, placed.document.id, self.coder(user).id)


def import_parsed(
    session: Session,
    parsed: ParsedProject,
    *,
    fallback_coder: str = "imported",
    options: PipelineOptions | None = None,
    levels_mode: str | None = None,
) -> ImportReport:
    """Write a checked project into the session's transaction."""
    return _Writer(session, parsed, fallback_coder, options or pipeline_options(session), levels_mode).run()


def import_project(
    session: Session, path: Path | Package, *, fallback_coder: str = "imported", levels_mode: str | None = None
) -> ImportReport:
    """Read, check and import a ``.qdpx``/``.qde`` in the caller's transaction.

    ``levels_mode``: ``auto`` extends the ladder for a deeper code tree, ``map`` places deeper
    codes at the top level (each named in the report); None squeezes them as before, and says so.
    """
    package = path if isinstance(path, Package) else read_package(path)
    options = pipeline_options(session)
    parsed = read_project(package, options)
    return import_parsed(session, parsed, fallback_coder=fallback_coder, options=options, levels_mode=levels_mode)
