"""The coding workbench: one coder's actions on one project, as the UI and CLI use them.

Every action runs in its own transaction (retried on lock contention) and is committed
before the call returns, so whatever a face shows as done is stored. Queries return
plain records, never live ORM objects, so a face can hold them across threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from qcoder.coding import codes as code_ops
from qcoder.coding import history, reads
from qcoder.coding import memos as memo_ops
from qcoder.coding import relations as relation_ops
from qcoder.coding.coder_name import clean_coder_name
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codings import (
    UNCHECKED,
    Quote,
    Unchecked,
    add_codings,
    codes_on_sentences,
    codes_on_sentences_now,
    find_quote,
    mark_reviewed,
    remove_codings,
    set_quote,
    toggle_codings,
)
from qcoder.coding.records import (
    CodeInfo,
    ComparisonRow,
    DocumentSummary,
    MemoEntry,
    MemoInfo,
    RelationInfo,
    StatementRow,
)
from qcoder.coding.statements import find_document, resolve_statements
from qcoder.corpus.search import Hit, search
from qcoder.errors import NotFound
from qcoder.store import team
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Document, Memo, Relation, Sentence
from qcoder.store.settings import Level, resolve_level

T = TypeVar("T")

NOT_YET_A_CODER = 0  # the id of a coder who has made no change yet (``join_now=False``): ids start at 1


class Workbench:
    def __init__(self, project: Project, coder_name: str, *, join_now: bool = True) -> None:
        """One coder at work on ``project``; the coder is created if new.

        ``join_now=False`` (the command line): a new coder is created by its first change,
        in that change's transaction, so a command that fails leaves no coder behind.
        Until then ``coder_id`` is ``NOT_YET_A_CODER``, which no row has: every read finds
        nothing of this coder, and there is nothing to undo.
        """
        self.project = project
        if not project.is_sqlite:  # a team member codes as their own login, never as someone else
            self._read(lambda s: team.required_coder(s, clean_coder_name(coder_name)))
        if join_now:
            self.coder_id, self.coder_name = project.run(lambda s: _coder_record(get_or_create_coder(s, coder_name)))
        else:
            self.coder_name = clean_coder_name(coder_name)
            found = self._read_plain(lambda reader: reads.coder_id(reader, self.coder_name))
            self.coder_id = NOT_YET_A_CODER if found is None else found

    # ----------------------------------------------------------------- queries
    def _read(self, work):
        with self.project.session() as session:
            return work(session)

    def _read_plain(self, work):
        """Run one of ``reads``' plain-SQL functions on a read session's driver connection."""
        with self.project.session() as session:
            return work(reads.Reader.of_session(session))

    def levels(self) -> list[Level]:
        return self._read_plain(reads.levels)

    def coders(self) -> list[tuple[int, str]]:
        return self._read_plain(reads.coders)

    def documents(self) -> list[DocumentSummary]:
        return self._read_plain(lambda reader: reads.documents(reader, self.coder_id, self.coder_name))

    def statements(self, document_id: int) -> list[StatementRow]:
        return self._read_plain(lambda reader: reads.statements(reader, document_id))

    def document_codings(self, document_id: int, *, all_coders: bool = False) -> dict[int, list[tuple[int, int]]]:
        """sentence id → [(code id, coder id)] in one document."""
        coder = None if all_coders else self.coder_id
        return self._read_plain(lambda reader: reads.document_codings(reader, document_id, coder))

    def document_quotes(self, document_id: int) -> dict[int, dict[int, Quote]]:
        """sentence id → code id → quote span of this coder's quoted codings in one document.

        Whole-statement codings are left out, so this is small and cheap to read with a document.
        """

        def work(session: Session) -> dict[int, dict[int, Quote]]:
            found: dict[int, dict[int, Quote]] = {}
            query = (
                select(Coding.sentence_id, Coding.code_id, Coding.quote_start, Coding.quote_end)
                .join(Sentence, Sentence.id == Coding.sentence_id)
                .where(
                    Sentence.document_id == document_id,
                    Coding.coder_id == self.coder_id,
                    Coding.quote_start.is_not(None),
                )
            )
            for sid, cid, start, end in session.execute(query):
                if start is not None and end is not None:  # the query asks for quoted codings only
                    found.setdefault(sid, {})[cid] = (start, end)
            return found

        return self._read(work)

    def statement_tokens(self, sentence_id: int) -> str:
        """The statement's stored segmenter tokens, space-joined ("" when it has none)."""
        return self._read(lambda s: s.scalar(select(Sentence.tokens).where(Sentence.id == sentence_id)) or "")

    def latest_event(self) -> reads.EventMark:
        """Where the event log stands: live refresh asks what came after it to notice others' changes."""
        return self._read_plain(reads.latest_event)

    def others_changed(self, after: reads.EventMark) -> tuple[reads.EventMark, bool]:
        """(the log's new mark, whether someone else changed the project since the mark ``after``)."""
        return self._read_plain(lambda reader: reads.others_changed(reader, self.coder_id, after))

    def sentence_codes(
        self, sentence_ids: Sequence[int], *, all_coders: bool = False
    ) -> dict[int, list[tuple[int, int]]]:
        return self._read(lambda s: codes_on_sentences(s, sentence_ids, None if all_coders else self.coder_id))

    def codes(self) -> list[CodeInfo]:
        return self._read_plain(lambda reader: reads.codes(reader, self.coder_id))

    def code(self, code_id: int) -> CodeInfo:
        def work(session: Session) -> CodeInfo:
            code = code_ops.get_code(session, code_id)
            total = session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code_id)) or 0
            mine = (
                session.scalar(
                    select(func.count())
                    .select_from(Coding)
                    .where(Coding.code_id == code_id, Coding.coder_id == self.coder_id)
                )
                or 0
            )
            return _code_record(code, total, mine)

        return self._read(work)

    def search(self, query: str, mode: str = "substring", limit: int | None = 2000) -> list[Hit]:
        return self._read(lambda s: search(s, query, mode=mode, limit=limit))

    def comparison(
        self, code_id: int, *, include_children: bool = True, all_coders: bool = True
    ) -> list[ComparisonRow]:
        """Constant comparison: every statement coded with the code (and its subtree)."""

        def work(session: Session) -> list[ComparisonRow]:
            ids = code_ops.descendant_ids(session, code_id) if include_children else [code_id]
            query = (
                select(
                    Sentence.id,
                    Sentence.label,
                    Document.id,
                    Document.label,
                    Sentence.ordinal,
                    Sentence.text,
                    Code.name,
                    Coder.name,
                    Coding.quote_start,
                    Coding.quote_end,
                )
                .join(Coding, Coding.sentence_id == Sentence.id)
                .join(Code, Code.id == Coding.code_id)
                .join(Coder, Coder.id == Coding.coder_id)
                .join(Document, Document.id == Sentence.document_id)
                .where(Coding.code_id.in_(ids))
                .order_by(Document.id, Sentence.ordinal, Coder.name)
            )
            if not all_coders:
                query = query.where(Coding.coder_id == self.coder_id)
            return [
                ComparisonRow(*row[:8], quote=None if row[8] is None else row[5][row[8] : row[9]])
                for row in session.execute(query)
            ]

        return self._read(work)

    def relations(self, code_id: int | None = None) -> list[RelationInfo]:
        return self._read(lambda s: [_relation_record(r) for r in relation_ops.relations_of(s, code_id)])

    def memos(self, target: str, target_id: int | None = None) -> list[MemoInfo]:
        def work(session: Session) -> list[MemoInfo]:
            names = dict(session.execute(select(Coder.id, Coder.name)).all())
            return [_memo_record(m, names) for m in memo_ops.memos_for(session, target, target_id)]

        return self._read(work)

    def all_memos(self) -> list[MemoEntry]:
        """Every memo of the project with its target, newest first (the memo browser)."""

        def work(session: Session) -> list[MemoEntry]:
            names = dict(session.execute(select(Coder.id, Coder.name)).all())
            sentences = {
                sid: (label, doc)
                for sid, label, doc in session.execute(
                    select(Sentence.id, Sentence.label, Sentence.document_id).where(
                        Sentence.id.in_(select(Memo.sentence_id).where(Memo.sentence_id.is_not(None)))
                    )
                )
            }
            documents = dict(session.execute(select(Document.id, Document.label)).all())
            codes = dict(session.execute(select(Code.id, Code.name)).all())
            relations = {
                rid: f"{codes.get(source, '?')} → {codes.get(target, '?')}"
                for rid, source, target in session.execute(select(Relation.id, Relation.source_id, Relation.target_id))
            }
            entries: list[MemoEntry] = []
            for memo in session.scalars(select(Memo).order_by(Memo.updated_at.desc(), Memo.id.desc())):
                info = _memo_record(memo, names)
                if memo.sentence_id is not None:
                    label, doc = sentences.get(memo.sentence_id, ("?", memo.document_id))
                    entries.append(MemoEntry(info, "sentence", label, doc, memo.sentence_id))
                elif memo.document_id is not None:
                    entries.append(MemoEntry(info, "document", documents.get(memo.document_id, "?"), memo.document_id))
                elif memo.code_id is not None:
                    entries.append(MemoEntry(info, "code", codes.get(memo.code_id, "?"), code_id=memo.code_id))
                elif memo.relation_id is not None:
                    label = relations.get(memo.relation_id, "?")
                    entries.append(MemoEntry(info, "relation", label, relation_id=memo.relation_id))
                else:
                    entries.append(MemoEntry(info, "project", ""))
            return entries

        return self._read(work)

    def statement_attributes(self, document_id: int) -> dict[int, dict[str, str]]:
        """sentence id → its own attributes (speaker, time, page, row …) for the document's statements that have any."""

        def work(session: Session) -> dict[int, dict[str, str]]:
            rows = session.execute(
                select(Sentence.id, Sentence.attributes).where(Sentence.document_id == document_id)
            ).all()
            return {sentence_id: dict(attributes) for sentence_id, attributes in rows if attributes}

        return self._read(work)

    def memo_statements(self, document_id: int) -> set[int]:
        """Ids of the document's statements that carry a memo (any coder's): the view marks them."""
        return self._read(
            lambda s: set(
                s.scalars(
                    select(Memo.sentence_id)
                    .join(Sentence, Sentence.id == Memo.sentence_id)
                    .where(Sentence.document_id == document_id)
                    .distinct()
                )
            )
        )

    def storyline(self) -> MemoInfo | None:

        def work(session: Session) -> MemoInfo | None:
            memo = memo_ops.storyline(session)
            names = dict(session.execute(select(Coder.id, Coder.name)).all())
            return _memo_record(memo, names) if memo else None

        return self._read(work)

    def statement_ids(self, specs: Sequence[str]) -> list[int]:
        """The ids of statements named by label (``D03-S017``, ranges ``D03-S017..D03-S020``), in order."""
        return self._read(lambda s: [sentence.id for sentence in resolve_statements(s, specs)])

    def find_document(self, spec: str) -> tuple[int, str]:
        """(id, label) of the document named by its ID (``D03``), its name or a unique name prefix."""
        return self._read(lambda s: _document_ref(find_document(s, spec)))

    def next_uncoded(self, document_id: int, after_ordinal: int) -> int | None:
        """The ordinal of the next statement (wrapping around) without this coder's codes."""

        def work(session: Session) -> int | None:
            coded = select(Coding.sentence_id).where(Coding.coder_id == self.coder_id)
            base = select(Sentence.ordinal).where(
                Sentence.document_id == document_id, Sentence.kind == "sentence", Sentence.id.not_in(coded)
            )
            found = session.scalar(base.where(Sentence.ordinal > after_ordinal).order_by(Sentence.ordinal).limit(1))
            if found is None:
                found = session.scalar(
                    base.where(Sentence.ordinal <= after_ordinal).order_by(Sentence.ordinal).limit(1)
                )
            return found

        return self._read(work)

    # ----------------------------------------------------------------- undoable steps
    def _step(
        self, description: str, work: Callable[[Session], T], describe: Callable[[Session, T], str] | None = None
    ) -> T:
        """Run ``work`` as one undoable step of this coder, committed before returning."""

        def transaction(session: Session) -> T:
            with history.step(session, self.coder_id, description) as entry:
                result = work(session)
                if describe is not None:
                    entry.description = describe(session, result)[:300]
            return result

        return self._as_coder(transaction)

    def _as_coder(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one committed transaction as this coder (who joins with it if not yet a coder)."""
        joining = self.coder_id == NOT_YET_A_CODER  # ``join_now=False``: the coder comes with this change

        def transaction(session: Session) -> T:
            if joining:  # on every attempt of the retry loop: a rolled-back attempt's coder is gone
                self.coder_id = get_or_create_coder(session, self.coder_name).id
            return work(session)

        try:
            return self.project.run(transaction)
        except BaseException:
            if joining:
                self.coder_id = NOT_YET_A_CODER
            raise

    def undo(self) -> str | None:
        """Undo this coder's newest step (also one made in an earlier session); its description."""
        return self.project.run(lambda s: history.undo(s, self.coder_id))

    def redo(self) -> str | None:
        return self.project.run(lambda s: history.redo(s, self.coder_id))

    def pending_history(self) -> tuple[str | None, str | None]:
        """(what undo would undo, what redo would redo)."""
        return self._read(lambda s: history.pending(s, self.coder_id))

    # ----------------------------------------------------------------- coding actions
    def code_statements(self, sentence_ids: Sequence[int], code_id: int) -> list[int]:
        return self._step(
            "code",
            lambda s: add_codings(s, sentence_ids, code_id, self.coder_id),
            lambda s, added: _coding_text("code", s, code_id, len(added)),
        )

    def uncode_statements(self, sentence_ids: Sequence[int], code_id: int) -> list[int]:
        return self._step(
            "uncode",
            lambda s: remove_codings(s, sentence_ids, code_id, self.coder_id),
            lambda s, removed: _coding_text("uncode", s, code_id, len(removed)),
        )

    def code_named(
        self,
        sentence_ids: Sequence[int],
        name: str,
        level: str | int | None = None,
        *,
        description: str | None = None,
    ) -> tuple[list[int], bool]:
        """Code the statements with the code called ``name``, created at ``level`` (a rank,
        key or name; default the lowest) if there is none: one undoable step.

        Returns (the statements newly coded, whether the code was created). ``description``
        names the step in the history instead of "code N statements with NAME".
        """

        def work(session: Session) -> tuple[list[int], int, bool]:
            rank = resolve_level(session, level).rank
            code, created = code_ops.ensure_code(session, name, rank, self._coder(session))
            return add_codings(session, sentence_ids, code.id, self.coder_id), code.id, created

        if description is not None:
            added, _code_id, created = self._step(description, work)
        else:
            added, _code_id, created = self._step(
                "code", work, lambda s, result: _coding_text("code", s, result[1], len(result[0]))
            )
        return added, created

    def code_quote(
        self,
        sentence_id: int,
        code_id: int,
        quote: Quote | None,
        *,
        expected: Quote | Unchecked | None = UNCHECKED,
    ) -> bool:
        """Code one statement with the exact words ``quote`` (``[start, end)`` code points into
        the statement's text; None: the whole statement): one undoable step.

        A statement that already carries the code from this coder gets the new span. True if
        anything changed. This is the engine door for a face that selects words in a statement.
        ``expected``: the face showed this coding with that span (None: whole statement) and
        changes it — refused in one line, nothing changed, if the coding was removed or its
        span changed from another place since (the coding is not added back).
        """

        def work(session: Session) -> bool:
            if expected is not UNCHECKED:
                return set_quote(session, sentence_id, code_id, self.coder_id, quote, expected=expected)
            if add_codings(session, [sentence_id], code_id, self.coder_id, quotes={sentence_id: quote}):
                return True
            return set_quote(session, sentence_id, code_id, self.coder_id, quote)

        return self._step("quote", work, lambda s, _changed: f"quote {_code_name(s, code_id)}")

    def quote_named(
        self,
        sentence_id: int,
        name: str,
        words: str,
        *,
        occurrence: int | None = None,
        level: str | int | None = None,
    ) -> tuple[Quote, bool, bool]:
        """Code one statement with ``words`` (which must occur in it; the ``occurrence``-th
        time when they occur more than once) under the code called ``name`` (created if missing).

        Returns (the span, whether anything changed, whether the code was created).
        """

        def work(session: Session) -> tuple[Quote, bool, bool, int]:
            text = session.scalar(select(Sentence.text).where(Sentence.id == sentence_id))
            if text is None:
                raise NotFound(f"statement #{sentence_id} no longer exists; nothing was coded")
            span = find_quote(text, words, occurrence)
            rank = resolve_level(session, level).rank
            code, created = code_ops.ensure_code(session, name, rank, self._coder(session))
            changed = bool(add_codings(session, [sentence_id], code.id, self.coder_id, quotes={sentence_id: span}))
            if not changed:
                changed = set_quote(session, sentence_id, code.id, self.coder_id, span)
            return span, changed, created, code.id

        span, changed, created, _code_id = self._step(
            "quote", work, lambda s, result: f"quote {words[:40]!r} with {_code_name(s, result[3])}"
        )
        return span, changed, created

    def uncode_named(self, sentence_ids: Sequence[int], name: str, level: str | int | None = None) -> list[int]:
        """Remove the code called ``name`` (at ``level``, needed only if the name is used at two) from the statements."""

        def work(session: Session) -> tuple[list[int], int]:
            rank = None if level is None else resolve_level(session, level).rank
            code = code_ops.find_code(session, name, rank)
            return remove_codings(session, sentence_ids, code.id, self.coder_id), code.id

        removed, _code_id = self._step(
            "uncode", work, lambda s, result: _coding_text("uncode", s, result[1], len(result[0]))
        )
        return removed

    def toggle(self, sentence_ids: Sequence[int], code_id: int) -> bool:
        """Code the statements, or uncode them if all already carry the code. True if coded.

        Checking and changing happen in one transaction, so a colleague's coding made in
        between cannot turn a "code" into an "uncode".
        """
        return self.toggle_and_read(sentence_ids, code_id)[0]

    def toggle_and_read(
        self, sentence_ids: Sequence[int], code_id: int, *, all_coders: bool = False
    ) -> tuple[bool, dict[int, list[tuple[int, int]]]]:
        """``toggle``, then the codes now on those statements, read in the same committed transaction.

        The workbench shows a toggle from what this returns: one round trip to the
        database instead of a write and a second read, and still the stored truth. The
        statements go straight to the driver (``codings.toggle_codings``): a toggle is what a
        researcher does most and waits for, and the ORM cost ~4 times the time of the rest.
        """

        def work(db: Session | Connection) -> tuple[bool, dict[int, list[tuple[int, int]]]]:
            history.begin_step(db, self.coder_id)
            toggled = toggle_codings(db, sentence_ids, code_id, self.coder_id)
            if toggled.changed:
                verb = "code" if toggled.coded else "uncode"
                count = len(toggled.changed)
                history.record_step(
                    db,
                    self.coder_id,
                    f"{verb} {count} statement{'s' if count != 1 else ''} with {toggled.code_name}",
                    toggled.action,
                    toggled.payload,
                )
            return toggled.coded, codes_on_sentences_now(db, sentence_ids, None if all_coders else self.coder_id)

        if self.coder_id == NOT_YET_A_CODER:  # the coder comes with this change: made through the ORM
            return self._as_coder(work)
        return self.project.run_on_connection(work)  # without a session's bookkeeping (a quarter of the lane)

    def create_code(
        self,
        name: str,
        level: int = 0,
        *,
        parent_id: int | None = None,
        definition: str = "",
        colour: str | None = None,
        code_sentences: Sequence[int] = (),
    ) -> CodeInfo:
        """Create a code (optionally coding statements with it at once), as one undoable step."""

        def work(session: Session) -> int:
            parent = code_ops.get_code(session, parent_id) if parent_id is not None else None
            code = code_ops.create_code(
                session,
                name,
                level=level,
                parent=parent,
                definition=definition,
                colour=colour,
                coder=self._coder(session),
            )
            if code_sentences:
                add_codings(session, code_sentences, code.id, self.coder_id)
            return code.id

        code_id = self._step("create code", work, lambda s, cid: f"create code {_code_name(s, cid)}")
        return self.code(code_id)

    def review(self, document_id: int, reviewed: bool = True) -> bool:
        return self._step(
            "review" if reviewed else "unreview",
            lambda s: mark_reviewed(s, document_id, self.coder_id, reviewed),
        )

    # ----------------------------------------------------------------- codebook actions
    def _coder(self, session: Session) -> Coder:
        coder = session.get(Coder, self.coder_id)
        assert coder is not None
        return coder

    def rename_code(self, code_id: int, name: str, expected_version: int | None = None) -> CodeInfo:
        self._step(
            "rename code",
            lambda s: (
                code_ops.rename_code(
                    s, code_ops.get_code(s, code_id), name, coder=self._coder(s), expected_version=expected_version
                ).name
            ),
            lambda s, new: f"rename code to {new}",
        )
        return self.code(code_id)

    def update_code(
        self,
        code_id: int,
        *,
        definition: str | None = None,
        colour: str | None = None,
        expected_version: int | None = None,
        exemplar_sentence_id: int | None = None,
    ) -> CodeInfo:
        what = "exemplar" if exemplar_sentence_id is not None else "colour" if colour is not None else "definition"
        self._step(
            f"change {what}",
            lambda s: (
                code_ops.update_code(
                    s,
                    code_ops.get_code(s, code_id),
                    definition=definition,
                    colour=colour,
                    coder=self._coder(s),
                    expected_version=expected_version,
                    exemplar_sentence_id=exemplar_sentence_id,
                ).name
            ),
            lambda s, name: f"change the {what} of {name}",
        )
        return self.code(code_id)

    def exemplar(self, code_id: int) -> int | None:
        """The statement chosen as the code's exemplar (典型原始语句) for the category table, if any."""
        return self._read(lambda s: code_ops.get_code(s, code_id).exemplar_sentence_id)

    def set_exemplar(self, code_id: int, sentence_id: int | None, expected_version: int | None = None) -> CodeInfo:
        """Choose (or with None clear) the code's exemplar statement; one undoable step."""
        return self.update_code(code_id, exemplar_sentence_id=sentence_id or 0, expected_version=expected_version)

    def move_code(self, code_id: int, parent_id: int | None, expected_version: int | None = None) -> CodeInfo:

        self._step(
            "move code",
            lambda s: (
                code_ops.move_code(
                    s,
                    code_ops.get_code(s, code_id),
                    code_ops.get_code(s, parent_id) if parent_id is not None else None,
                    coder=self._coder(s),
                    expected_version=expected_version,
                ).name
            ),
            lambda s, name: f"move {name}" + (f" under {_code_name(s, parent_id)}" if parent_id else " to the top"),
        )
        return self.code(code_id)

    def merge_codes(self, source_id: int, target_id: int, expected_versions: tuple[int, int] | None = None) -> int:
        """Merge as seen on screen: with ``expected_versions``, a code changed since is refused."""
        names: list[str] = []

        def work(session: Session) -> int:
            source, target = code_ops.get_code(session, source_id), code_ops.get_code(session, target_id)
            names.extend([source.name, target.name])
            return code_ops.merge_codes(
                session,
                source,
                target,
                coder=self._coder(session),
                expected_versions=expected_versions,
            )

        return self._step("merge codes", work, lambda s, _moved: f"merge {names[-2]} into {names[-1]}")

    def split_code(self, code_id: int, new_name: str, sentence_ids: Sequence[int]) -> CodeInfo:
        new_id = self._step(
            "split code",
            lambda s: (
                code_ops.split_code(s, code_ops.get_code(s, code_id), new_name, sentence_ids, coder=self._coder(s)).id
            ),
            lambda s, nid: f"split {_code_name(s, nid)} off {_code_name(s, code_id)}",
        )
        return self.code(new_id)

    def delete_code(self, code_id: int) -> int:
        names: list[str] = []

        def work(session: Session) -> int:
            code = code_ops.get_code(session, code_id)
            names.append(code.name)
            return code_ops.delete_code(session, code, coder=self._coder(session))

        return self._step("delete code", work, lambda s, _n: f"delete code {names[-1]}")

    def coding_count(self, code_id: int) -> int:
        return self._read(lambda s: code_ops.coding_count(s, code_ops.get_code(s, code_id)))

    # ----------------------------------------------------------------- relations and memos
    def add_relation(self, source_id: int, target_id: int, type_: str, note: str = "") -> RelationInfo:
        def work(session: Session) -> int:
            return relation_ops.add_relation(
                session,
                code_ops.get_code(session, source_id),
                code_ops.get_code(session, target_id),
                type_,
                note,
                coder=self._coder(session),
            ).id

        relation_id = self._step(
            "add relation",
            work,
            lambda s, rid: f"add relation {_code_name(s, source_id)} → {_code_name(s, target_id)}",
        )
        return self._read(lambda s: _relation_record(relation_ops.get_relation(s, relation_id)))

    def update_relation(self, relation_id: int, *, type_: str | None = None, note: str | None = None) -> RelationInfo:
        self._step(
            "edit relation",
            lambda s: relation_ops.update_relation(
                s, relation_ops.get_relation(s, relation_id), type_=type_, note=note, coder=self._coder(s)
            ),
        )
        return self._read(lambda s: _relation_record(relation_ops.get_relation(s, relation_id)))

    def remove_relation(self, relation_id: int) -> None:
        self._step(
            "remove relation",
            lambda s: relation_ops.remove_relation(s, relation_ops.get_relation(s, relation_id), coder=self._coder(s)),
        )

    def relation_types(self) -> list[str]:
        from qcoder.store.settings import relation_types

        return self._read(relation_types)

    def add_memo(
        self,
        text: str,
        *,
        type_: str = "theoretical",
        target: str = "project",
        target_id: int | None = None,
        title: str = "",
    ) -> int:
        return self._step(
            "write memo",
            lambda s: (
                memo_ops.add_memo(
                    s, text, type_=type_, target=target, target_id=target_id, title=title, coder=self._coder(s)
                ).id
            ),
            lambda s, _id: f"write a {target} memo",
        )

    def update_memo(
        self,
        memo_id: int,
        *,
        text: str | None = None,
        title: str | None = None,
        type_: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Save a memo; with ``expected_version`` (the version the editor opened) a save on
        top of a colleague's newer save is refused, naming them."""
        self._step(
            "edit memo",
            lambda s: memo_ops.update_memo(
                s,
                memo_ops.get_memo(s, memo_id),
                text=text,
                title=title,
                type_=type_,
                coder=self._coder(s),
                expected_version=expected_version,
            ),
        )

    def delete_memo(self, memo_id: int, expected_version: int | None = None) -> None:
        self._step(
            "delete memo",
            lambda s: memo_ops.delete_memo(
                s, memo_ops.get_memo(s, memo_id), coder=self._coder(s), expected_version=expected_version
            ),
        )

    def set_storyline(self, text: str, core_code_id: int | None = None) -> int:
        """Write (or rewrite) the storyline memo, attached to the core category if given."""

        def work(session: Session) -> int:
            memo = memo_ops.storyline(session)
            if memo is None:
                target = "code" if core_code_id is not None else "project"
                return memo_ops.add_memo(
                    session,
                    text,
                    type_="storyline",
                    target=target,
                    target_id=core_code_id,
                    title="storyline",
                    coder=self._coder(session),
                ).id
            memo_ops.update_memo(session, memo, text=text, coder=self._coder(session), code_id=core_code_id)
            return memo.id

        return self._step("write storyline", work)


def _code_name(session: Session, code_id: int | None) -> str:
    code = session.get(Code, code_id) if code_id is not None else None
    return code.name if code is not None else f"#{code_id}"


def _coding_text(verb: str, session: Session, code_id: int, count: int) -> str:
    return f"{verb} {count} statement{'s' if count != 1 else ''} with {_code_name(session, code_id)}"


def _document_ref(document: Document) -> tuple[int, str]:
    return document.id, document.label


def _coder_record(coder: Coder) -> tuple[int, str]:
    return coder.id, coder.name


def _code_record(code: Code, total: int, mine: int) -> CodeInfo:
    return CodeInfo(
        id=code.id,
        guid=code.guid,
        name=code.name,
        level=code.level,
        parent_id=code.parent_id,
        definition=code.definition,
        colour=code.colour,
        version=code.version,
        codings=total,
        mine=mine,
    )


def _relation_record(relation: Relation) -> RelationInfo:
    return RelationInfo(
        id=relation.id,
        source_id=relation.source_id,
        source=relation.source.name,
        target_id=relation.target_id,
        target=relation.target.name,
        type=relation.type,
        note=relation.note,
    )


def _memo_record(memo: Memo, coder_names: dict[int, str]) -> MemoInfo:
    return MemoInfo(
        id=memo.id,
        type=memo.type,
        title=memo.title,
        text=memo.text,
        coder=coder_names.get(memo.coder_id) if memo.coder_id else None,
        updated_at=f"{memo.updated_at:%Y-%m-%d %H:%M}",
        code_id=memo.code_id,
        version=memo.version,
        edited_by=coder_names.get(memo.updated_by_id) if memo.updated_by_id else None,
    )
