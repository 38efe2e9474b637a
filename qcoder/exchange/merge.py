"""Merging another coder's copy of the project into this one.

Coders often code their own copy and bring the work together later. Matching is by
identity that survives copying: documents by content (SHA-256) and statements by
(document, ordinal), codes by GUID and then by name and parent (a top code: name and level), coders by name, memos and
relations by GUID. Everything OTHER has that this project lacks is added — documents
with their statements (keeping labels when free), codes, codings, memos, relations,
review marks — and nothing is ever removed, so merging twice adds nothing the second time.

Where both sides changed the same thing (a code's name, parent, definition or colour; a
memo's text; a relation's note) the merge stops until each conflict has a choice:
``prefer="ours"|"theirs"`` for all, or ``choices={guid: "ours"|"theirs"}`` one by one.
A side that is merely empty (no definition yet) is filled in without asking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code, move_code, rename_code, update_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.memos import add_memo, update_memo
from qcoder.coding.relations import add_relation, find_relation, update_relation
from qcoder.errors import QcoderError
from qcoder.exchange.documents import DocumentData, StatementData, StatementIndex, insert_document
from qcoder.store.database import Project
from qcoder.store.events import log_event
from qcoder.store.models import (
    Code,
    Coder,
    Coding,
    Document,
    DocumentReview,
    Memo,
    Relation,
    Sentence,
)
from qcoder.store.settings import get_setting, levels, relation_types, set_setting

CHOICES = ("ours", "theirs")


@dataclass
class MergeConflict:
    """One thing both projects have, with different values; ``key`` is its GUID."""

    kind: str  # code | memo | relation
    key: str
    label: str
    fields: dict[str, tuple[Any, Any]]  # field → (ours, theirs)

    def line(self) -> str:
        diffs = "; ".join(f"{name}: ours {ours!r}, theirs {theirs!r}" for name, (ours, theirs) in self.fields.items())
        return f"{self.kind} {self.label} [{self.key}]: {diffs}"


@dataclass
class MergePlan:
    other: str
    documents_new: list[str] = field(default_factory=list)
    documents_matched: int = 0
    coders_new: list[str] = field(default_factory=list)
    codes_new: list[str] = field(default_factory=list)
    codes_matched: int = 0
    codings_new: int = 0
    memos_new: int = 0
    relations_new: int = 0
    reviews_new: int = 0
    filled: list[str] = field(default_factory=list)  # empty fields of ours that OTHER fills
    conflicts: list[MergeConflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def adds_nothing(self) -> bool:
        return not (
            self.documents_new
            or self.coders_new
            or self.codes_new
            or self.codings_new
            or self.memos_new
            or self.relations_new
            or self.reviews_new
            or self.filled
        )

    def lines(self) -> list[str]:
        out = [
            f"from {self.other}: {len(self.documents_new)} new documents ({self.documents_matched} shared), "
            f"{len(self.codes_new)} new codes ({self.codes_matched} shared), {len(self.coders_new)} new coders, "
            f"{self.codings_new} new codings, {self.memos_new} new memos, {self.relations_new} new relations, "
            f"{self.reviews_new} new review marks"
        ]
        out += [f"  new document: {name}" for name in self.documents_new]
        out += [f"  new code: {name}" for name in self.codes_new]
        out += [f"  new coder: {name}" for name in self.coders_new]
        out += [f"  filled in from OTHER: {what}" for what in self.filled]
        if self.conflicts:
            out.append(f"{len(self.conflicts)} conflict(s) need a choice (--prefer ours|theirs):")
            out += [f"  {conflict.line()}" for conflict in self.conflicts]
        return out + self.notes


_New = tuple[str, int]  # ("new", OTHER's id): an object that will be created


class _Merge:
    """Works out what OTHER adds (``analyse``) and then adds it (``apply``) in ``ours``."""

    def __init__(self, ours: Session, theirs: Session, other_name: str) -> None:
        self.ours = ours
        self.theirs = theirs
        self.plan = MergePlan(other=other_name)
        self.coder_map: dict[int, int | _New] = {}
        self.doc_map: dict[int, int | _New] = {}
        self.sentence_map: dict[int, list[int]] = {}  # OTHER sentence id → our sentence ids (shared documents)
        self.code_map: dict[int, int | _New] = {}
        self.new_codes: list[Code] = []
        self.relation_map: dict[int, int | _New] = {}
        # Objects both sides have, (ours, theirs): conflicts are resolved and gaps filled from these.
        self.code_pairs: dict[str, tuple[Code, Code, str | None]] = {}  # our GUID → (ours, theirs, their parent GUID)
        self.memo_pairs: dict[str, tuple[Memo, Memo]] = {}
        self.relation_pairs: dict[str, tuple[Relation, Relation]] = {}

    # -- analysis --------------------------------------------------------------------

    def analyse(self) -> MergePlan:
        self._coders()
        self._documents()
        self._codes()
        self._codings()
        self._relations()
        self._memos()
        self._reviews()
        return self.plan

    def _coders(self) -> None:
        ours = {c.name: c.id for c in self.ours.scalars(select(Coder))}
        for coder in self.theirs.scalars(select(Coder).order_by(Coder.id)):
            self.coder_map[coder.id] = ours.get(coder.name, ("new", coder.id))
        self.their_coders = {c.id: c for c in self.theirs.scalars(select(Coder))}

    def _documents(self) -> None:
        ours = {d.sha256: d for d in self.ours.scalars(select(Document))}
        for doc in self.theirs.scalars(select(Document).order_by(Document.label)):
            mine = ours.get(doc.sha256)
            if mine is None:
                self.doc_map[doc.id] = ("new", doc.id)
                self.plan.documents_new.append(f"{doc.label} {doc.name}")
                continue
            self.doc_map[doc.id] = mine.id
            self.plan.documents_matched += 1
            self._map_statements(doc, mine)

    def _map_statements(self, theirs: Document, ours: Document) -> None:
        """Same ordinal and span → that statement; same text split differently → by overlap."""
        mine = list(
            self.ours.scalars(select(Sentence).where(Sentence.document_id == ours.id).order_by(Sentence.ordinal))
        )
        other = list(
            self.theirs.scalars(select(Sentence).where(Sentence.document_id == theirs.id).order_by(Sentence.ordinal))
        )
        by_ordinal = {s.ordinal: s for s in mine}
        index = StatementIndex([(s.start, s.end, s.id) for s in mine])
        same_text = ours.text == theirs.text
        lost = 0
        for sentence in other:
            match = by_ordinal.get(sentence.ordinal)
            if match is not None and (match.start, match.end) == (sentence.start, sentence.end) and same_text:
                self.sentence_map[sentence.id] = [match.id]
            elif same_text:
                self.sentence_map[sentence.id] = index.overlapping(sentence.start, sentence.end)[0]
            elif match is not None and match.text == sentence.text:
                self.sentence_map[sentence.id] = [match.id]
            else:
                self.sentence_map[sentence.id] = []
                lost += 1
        if same_text and [(s.start, s.end) for s in mine] != [(s.start, s.end) for s in other]:
            self.plan.notes.append(f"{ours.label}: split into statements differently; codings follow by overlap")
        if lost:
            self.plan.notes.append(
                f"{ours.label}: {lost} statement(s) of OTHER's copy differ from this project's and cannot be matched"
            )

    def _codes(self) -> None:
        top = len(levels(self.ours)) - 1
        ours = list(self.ours.scalars(select(Code)))
        by_guid = {c.guid: c for c in ours}
        # names are unique per parent: by (name, parent) first; a name used once at a level on
        # both sides matches wherever it sits (one side moved it)
        by_place: dict[tuple[str, object], Code] = {
            (c.name, c.parent_id if c.parent_id is not None else ("top", c.level)): c for c in ours
        }
        by_name: dict[tuple[str, int], list[Code]] = defaultdict(list)
        for c in ours:
            by_name[(c.name, c.level)].append(c)
        theirs = list(self.theirs.scalars(select(Code).order_by(Code.level.desc(), Code.name)))
        their_names: dict[tuple[str, int], int] = defaultdict(int)
        for c in theirs:
            their_names[(c.name, c.level)] += 1
        self.their_codes = {c.id: c for c in theirs}
        for code in theirs:
            if code.level > top:
                raise QcoderError(
                    f"OTHER's code {code.name!r} is at level {code.level}; this project's ladder stops at {top}"
                )
            parent = self.code_map.get(code.parent_id) if code.parent_id is not None else ("top", code.level)
            mine = by_guid.get(code.guid)
            if mine is None and parent is not None and not (isinstance(parent, tuple) and parent[0] == "new"):
                mine = by_place.get((code.name, parent))
            same_name = by_name.get((code.name, code.level), [])
            if mine is None and len(same_name) == 1 and their_names[(code.name, code.level)] == 1:
                mine = same_name[0]
            if mine is None:
                self.code_map[code.id] = ("new", code.id)
                self.plan.codes_new.append(f"{code.name} [level {code.level}]")
                self.new_codes.append(code)
            else:
                self.code_map[code.id] = mine.id
                self.plan.codes_matched += 1
        for code in theirs:
            mine_id = self.code_map[code.id]
            if isinstance(mine_id, int):
                self._compare_code(self.ours.get_one(Code, mine_id), code)

    def _guid_of(self, mapped: int | _New | None) -> str | None:
        if mapped is None:
            return None
        if isinstance(mapped, tuple):
            return self.their_codes[mapped[1]].guid
        return self.ours.get_one(Code, mapped).guid

    def _compare_code(self, mine: Code, theirs: Code) -> None:
        fields: dict[str, tuple[Any, Any]] = {}
        if mine.name != theirs.name:
            fields["name"] = (mine.name, theirs.name)
        their_parent = self._guid_of(self.code_map.get(theirs.parent_id)) if theirs.parent_id else None
        my_parent = mine.parent.guid if mine.parent is not None else None
        if their_parent != my_parent:
            fields["parent"] = (self._code_name(my_parent), self._code_name(their_parent))
        if theirs.definition and mine.definition and theirs.definition != mine.definition:
            fields["definition"] = (mine.definition, theirs.definition)
        if theirs.colour and mine.colour and theirs.colour != mine.colour:
            fields["colour"] = (mine.colour, theirs.colour)
        for name in ("definition", "colour"):
            if getattr(theirs, name) and not getattr(mine, name):
                self.plan.filled.append(f"{name} of code {mine.name!r}")
        if mine.level != theirs.level:
            self.plan.notes.append(f"code {mine.name!r}: OTHER has it at level {theirs.level}; levels are kept as ours")
        if fields:
            self.plan.conflicts.append(MergeConflict("code", mine.guid, repr(mine.name), fields))
        self.code_pairs[mine.guid] = (mine, theirs, their_parent)

    def _code_name(self, guid: str | None) -> str | None:
        if guid is None:
            return None
        mine = self.ours.scalar(select(Code.name).where(Code.guid == guid))
        return mine or next((c.name for c in self.their_codes.values() if c.guid == guid), guid)

    def _codings(self) -> None:
        existing = {
            tuple(row) for row in self.ours.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id))
        }
        self.codings: dict[tuple[int | _New, int | _New], list[int | tuple[str, int, int]]] = defaultdict(list)
        their_sentences = {
            sid: (doc_id, ordinal)
            for sid, doc_id, ordinal in self.theirs.execute(select(Sentence.id, Sentence.document_id, Sentence.ordinal))
        }
        # a quote span goes along where their statement is ours unchanged (same text): new
        # documents, or a statement matched one to one; split differently, the statement is coded whole
        self.quotes: dict[tuple[int | _New, int | _New], dict[int | tuple[str, int, int], tuple[int, int]]] = (
            defaultdict(dict)
        )
        their_texts: dict[int, str] = {}
        for sentence_id, code_id, coder_id, q_start, q_end in self.theirs.execute(
            select(Coding.sentence_id, Coding.code_id, Coding.coder_id, Coding.quote_start, Coding.quote_end)
        ):
            code, coder = self.code_map[code_id], self.coder_map[coder_id]
            doc_id, ordinal = their_sentences[sentence_id]
            if isinstance(self.doc_map[doc_id], tuple):
                targets: list[int | tuple[str, int, int]] = [("new", doc_id, ordinal)]
            else:
                targets = list(self.sentence_map.get(sentence_id, []))
            quote = (q_start, q_end) if q_start is not None and q_end is not None else None
            if quote is not None and len(targets) == 1 and isinstance(targets[0], int):
                if not their_texts:
                    their_texts.update(
                        {sid: text for sid, text in self.theirs.execute(select(Sentence.id, Sentence.text))}
                    )
                if self.ours.get(Sentence, targets[0]).text != their_texts.get(sentence_id):  # type: ignore[union-attr]
                    quote = None
            for target in targets:
                if isinstance(target, int) and isinstance(code, int) and isinstance(coder, int):
                    if (target, code, coder) in existing:
                        continue
                    existing.add((target, code, coder))
                self.codings[(code, coder)].append(target)
                if quote is not None and len(targets) == 1:
                    self.quotes[(code, coder)][target] = quote
                self.plan.codings_new += 1

    def _relations(self) -> None:
        known = set(relation_types(self.ours))
        self.new_relation_types: list[str] = []
        for relation in self.theirs.scalars(select(Relation).order_by(Relation.id)):
            source, target = self.code_map[relation.source_id], self.code_map[relation.target_id]
            mine = self.ours.scalar(select(Relation).where(Relation.guid == relation.guid))
            if mine is None and isinstance(source, int) and isinstance(target, int):
                mine = find_relation(self.ours, source, target, relation.type)
            if mine is not None:
                self.relation_map[relation.id] = mine.id
                if relation.note and mine.note and relation.note != mine.note:
                    self.plan.conflicts.append(
                        MergeConflict("relation", mine.guid, f"{relation.type}", {"note": (mine.note, relation.note)})
                    )
                self.relation_pairs[mine.guid] = (mine, relation)
                if relation.note and not mine.note:
                    self.plan.filled.append(f"note of relation {relation.type} [{mine.guid}]")
                continue
            if source == target:
                self.plan.notes.append(f"relation {relation.type} skipped: both ends are the same code here")
                continue
            if relation.type not in known and relation.type not in self.new_relation_types:
                self.new_relation_types.append(relation.type)
            self.relation_map[relation.id] = ("new", relation.id)
            self.plan.relations_new += 1

    def _memos(self) -> None:
        self.new_memos: list[Memo] = []
        for memo in self.theirs.scalars(select(Memo).order_by(Memo.id)):
            mine = self.ours.scalar(select(Memo).where(Memo.guid == memo.guid))
            if mine is None:
                self.new_memos.append(memo)
                self.plan.memos_new += 1
                continue
            fields = {
                name: (getattr(mine, name), getattr(memo, name))
                for name in ("title", "text", "type")
                if getattr(mine, name) != getattr(memo, name) and getattr(memo, name)
            }
            if fields:
                self.plan.conflicts.append(MergeConflict("memo", mine.guid, repr(mine.title or mine.text[:30]), fields))
            self.memo_pairs[mine.guid] = (mine, memo)

    def _reviews(self) -> None:
        existing: set[tuple[int | _New, int | _New]] = {
            (coder_id, document_id)
            for coder_id, document_id in self.ours.execute(select(DocumentReview.coder_id, DocumentReview.document_id))
        }
        self.new_reviews: list[tuple[int | _New, int | _New]] = []
        for review in self.theirs.scalars(select(DocumentReview)):
            pair = (self.coder_map[review.coder_id], self.doc_map[review.document_id])
            if pair not in existing:
                existing.add(pair)
                self.new_reviews.append(pair)
        self.plan.reviews_new = len(self.new_reviews)
        # A coder who exists only in OTHER comes along with their codings, memos, relations or reviews.
        used: set[int | _New] = {coder for (_code, coder) in self.codings} | {coder for coder, _doc in self.new_reviews}
        used |= {("new", m.coder_id) for m in self.new_memos if m.coder_id is not None}
        new_relations = [
            self.theirs.get_one(Relation, rid) for rid, mapped in self.relation_map.items() if isinstance(mapped, tuple)
        ]
        used |= {("new", r.coder_id) for r in new_relations if r.coder_id is not None}
        self.new_coders = [
            cid for cid, mapped in self.coder_map.items() if isinstance(mapped, tuple) and mapped in used
        ]
        self.plan.coders_new = [self.their_coders[cid].name for cid in self.new_coders]

    # -- applying --------------------------------------------------------------------

    def apply(self, prefer: str | None, choices: Mapping[str, str]) -> None:
        decisions = self._decisions(prefer, choices)
        for coder_id in self.new_coders:
            self.coder_map[coder_id] = get_or_create_coder(self.ours, self.their_coders[coder_id].name).id
        self._copy_documents()
        self._create_codes()
        self._resolve(decisions)
        self._fill_gaps()
        self._add_codings()
        self._add_relations()
        self._add_memos()
        for coder, doc in self.new_reviews:
            mark_reviewed(self.ours, self._id(self.doc_map, doc), self._id(self.coder_map, coder))
        if not self.plan.adds_nothing or any(d == "theirs" for d in decisions.values()):
            log_event(
                self.ours,
                None,
                "project.merge",
                other=self.plan.other,
                documents=len(self.plan.documents_new),
                codes=len(self.plan.codes_new),
                codings=self.plan.codings_new,
                memos=self.plan.memos_new,
                relations=self.plan.relations_new,
                conflicts=len(self.plan.conflicts),
            )

    def _decisions(self, prefer: str | None, choices: Mapping[str, str]) -> dict[str, str]:
        for value in [prefer, *choices.values()]:
            if value is not None and value not in CHOICES:
                raise QcoderError(f"a conflict is resolved with 'ours' or 'theirs', not {value!r}")
        keys = {c.key for c in self.plan.conflicts}
        unknown = [k for k in choices if k.lower() not in keys]
        if unknown:
            raise QcoderError(f"no conflict {unknown[0]!r}; the plan lists the conflicts and their GUIDs")
        decisions = {}
        folded = {k.lower(): v for k, v in choices.items()}
        undecided = []
        for conflict in self.plan.conflicts:
            choice = folded.get(conflict.key) or prefer
            if choice is None:
                undecided.append(conflict)
            else:
                decisions[conflict.key] = choice
        if undecided:
            raise QcoderError(
                f"{len(undecided)} conflict(s) need a choice, e.g. {undecided[0].line()}; "
                "pass --prefer ours|theirs (or choose per conflict)"
            )
        return decisions

    @staticmethod
    def _id(mapping: Mapping[int, int | _New], value: int | _New) -> int:
        resolved = mapping[value[1]] if isinstance(value, tuple) else value
        assert isinstance(resolved, int), "mapped object was not created"
        return resolved

    def _copy_documents(self) -> None:
        self.new_sentences: dict[tuple[int, int], int] = {}
        for their_id, mapped in list(self.doc_map.items()):
            if not isinstance(mapped, tuple):
                continue
            doc = self.theirs.get_one(Document, their_id)
            statements = list(
                self.theirs.scalars(select(Sentence).where(Sentence.document_id == doc.id).order_by(Sentence.ordinal))
            )
            data = DocumentData(
                name=doc.name,
                sha256=doc.sha256,
                raw_bytes=doc.raw_bytes,
                encoding=doc.encoding,
                original_text=doc.original_text,
                text=doc.text,
                label=doc.label,
                source_path=doc.source_path,
                statements=[
                    StatementData(s.start, s.end, s.kind, s.tokens, dict(s.attributes or {})) for s in statements
                ],
                attributes=dict(doc.attributes or {}),
                role=doc.role,
                import_report=list(doc.import_report or []),
            )
            mine = insert_document(self.ours, data, via="merge")
            if mine.label != doc.label:
                self.plan.notes.append(f"OTHER's {doc.label} ({doc.name}) was added as {mine.label}")
            self.doc_map[their_id] = mine.id
            for ordinal, sentence_id in self.ours.execute(
                select(Sentence.ordinal, Sentence.id).where(Sentence.document_id == mine.id)
            ):
                self.new_sentences[(their_id, ordinal)] = sentence_id
            for statement in statements:
                self.sentence_map[statement.id] = [self.new_sentences[(their_id, statement.ordinal)]]

    def _create_codes(self) -> None:
        for code in self.new_codes:  # highest level first, so parents exist
            parent = None
            if code.parent_id is not None:
                parent = self.ours.get_one(Code, self._id(self.code_map, self.code_map[code.parent_id]))
                if parent.level <= code.level:
                    self.plan.notes.append(
                        f"code {code.name!r} added without parent {parent.name!r} (not at a higher level here)"
                    )
                    parent = None
            created = create_code(
                self.ours,
                code.name,
                level=code.level,
                parent=parent,
                definition=code.definition,
                colour=code.colour,
                guid=code.guid,
            )
            self.code_map[code.id] = created.id

    def _resolve(self, decisions: Mapping[str, str]) -> None:
        for conflict in self.plan.conflicts:
            if decisions[conflict.key] != "theirs":
                continue
            if conflict.kind == "code":
                code, theirs, parent_guid = self.code_pairs[conflict.key]
                if "name" in conflict.fields:
                    rename_code(self.ours, code, theirs.name)
                if "definition" in conflict.fields or "colour" in conflict.fields:
                    update_code(self.ours, code, definition=theirs.definition or None, colour=theirs.colour or None)
                if "parent" in conflict.fields:
                    parent = self.ours.scalar(select(Code).where(Code.guid == parent_guid)) if parent_guid else None
                    move_code(self.ours, code, parent)
            elif conflict.kind == "memo":
                memo, their_memo = self.memo_pairs[conflict.key]
                update_memo(self.ours, memo, text=their_memo.text, title=their_memo.title, type_=their_memo.type)
            else:
                relation, their_relation = self.relation_pairs[conflict.key]
                update_relation(self.ours, relation, note=their_relation.note)

    def _fill_gaps(self) -> None:
        """What only OTHER wrote (a definition, a colour, a relation note) is taken without asking."""
        for code, theirs, _parent in self.code_pairs.values():
            definition = theirs.definition if not code.definition and theirs.definition else None
            colour = theirs.colour if not code.colour and theirs.colour else None
            if definition or colour:
                update_code(self.ours, code, definition=definition, colour=colour)
        for relation, their_relation in self.relation_pairs.values():
            if not relation.note and their_relation.note:
                update_relation(self.ours, relation, note=their_relation.note)

    def _add_codings(self) -> None:
        for (code, coder), targets in self.codings.items():
            code_id, coder_id = self._id(self.code_map, code), self._id(self.coder_map, coder)
            ids = [t if isinstance(t, int) else self.new_sentences[(t[1], t[2])] for t in targets]
            quoted = self.quotes.get((code, coder), {})
            quotes = {
                (t if isinstance(t, int) else self.new_sentences[(t[1], t[2])]): span for t, span in quoted.items()
            }
            add_codings(self.ours, ids, code_id, coder_id, quotes=quotes or None)

    def _add_relations(self) -> None:
        if self.new_relation_types:
            set_setting(
                self.ours, "relation_types", [*get_setting(self.ours, "relation_types"), *self.new_relation_types]
            )
            self.plan.notes.append(f"relation types added: {', '.join(self.new_relation_types)}")
        for their_id, mapped in list(self.relation_map.items()):
            if not isinstance(mapped, tuple):
                continue
            relation = self.theirs.get_one(Relation, their_id)
            coder = self._coder(relation.coder_id)
            created = add_relation(
                self.ours,
                self.ours.get_one(Code, self._id(self.code_map, self.code_map[relation.source_id])),
                self.ours.get_one(Code, self._id(self.code_map, self.code_map[relation.target_id])),
                relation.type,
                relation.note,
                coder=coder,
                guid=relation.guid,
            )
            self.relation_map[their_id] = created.id

    def _coder(self, their_id: int | None) -> Coder | None:
        if their_id is None:
            return None
        return self.ours.get_one(Coder, self._id(self.coder_map, self.coder_map[their_id]))

    def _add_memos(self) -> None:
        for memo in self.new_memos:
            target, target_id = self._memo_target(memo)
            add_memo(
                self.ours,
                memo.text,
                type_=memo.type,
                target=target,
                target_id=target_id,
                title=memo.title,
                coder=self._coder(memo.coder_id),
                guid=memo.guid,
            )

    def _memo_target(self, memo: Memo) -> tuple[str, int | None]:
        if memo.document_id is not None:
            return "document", self._id(self.doc_map, self.doc_map[memo.document_id])
        if memo.sentence_id is not None:
            mapped = self.sentence_map.get(memo.sentence_id) or []
            if mapped:
                return "sentence", mapped[0]
            sentence = self.theirs.get_one(Sentence, memo.sentence_id)
            self.plan.notes.append(f"a memo on OTHER's {sentence.label} went to its document (statement not matched)")
            return "document", self._id(self.doc_map, self.doc_map[sentence.document_id])
        if memo.code_id is not None:
            return "code", self._id(self.code_map, self.code_map[memo.code_id])
        if memo.relation_id is not None and memo.relation_id in self.relation_map:
            return "relation", self._id(self.relation_map, self.relation_map[memo.relation_id])
        return "project", None


def _check_distinct(target: Project, other: Project) -> None:
    if target.url == other.url:
        raise QcoderError("OTHER is this very project; give another project's file or URL")


def plan_merge(target: Project, other: Project) -> MergePlan:
    """What merging OTHER into the target would add, and which conflicts need a choice."""
    _check_distinct(target, other)
    with other.session() as theirs, target.session() as ours:
        return _Merge(ours, theirs, _name(other)).analyse()


def apply_merge(
    target: Project, other: Project, *, prefer: str | None = None, choices: Mapping[str, str] | None = None
) -> MergePlan:
    """Merge OTHER into the target in one transaction; refuses while a conflict has no choice."""
    _check_distinct(target, other)
    with other.session() as theirs:

        def work(ours: Session) -> MergePlan:
            merge = _Merge(ours, theirs, _name(other))
            plan = merge.analyse()
            merge.apply(prefer, choices or {})
            return plan

        return target.run(work)


def _name(project: Project) -> str:
    url = make_url(project.url)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)
