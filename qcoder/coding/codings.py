"""Codings: a statement tagged with a code by a coder (unique together).

Adding is idempotent — an existing coding is left as it is — so retries after a lost
connection, double key presses and merges never create duplicates.

A coding may carry a **quote span**: the exact words coded, ``[start, end)`` code points
into its statement's text (``None``: the whole statement). ``add_codings(..., quotes=)``
stores spans with new codings; ``set_quote`` changes the span of an existing one. Both
log the spans, so undo and redo restore them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Connection, Table, delete, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qcoder.coding.gone import gone_code
from qcoder.coding.scales import check_one_value
from qcoder.coding.statements import context_ids
from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.driver import connection_of, driver_sql
from qcoder.store.events import log_event
from qcoder.store.models import Code, Coding, DocumentReview, Event, Sentence, utcnow

_CHUNK = 500

Quote = tuple[int, int]  # [start, end) code points into the statement's text


def check_quote(sentence_text: str, quote: Quote | None) -> Quote | None:
    """The span if it lies inside the statement (a span covering all of it is ``None``)."""
    if quote is None:
        return None
    start, end = int(quote[0]), int(quote[1])
    if not 0 <= start < end <= len(sentence_text):
        raise QcoderError(
            f"quote [{start}, {end}) is not inside the statement (0..{len(sentence_text)}); nothing was coded"
        )
    return None if (start, end) == (0, len(sentence_text)) else (start, end)


def find_quote(sentence_text: str, words: str, occurrence: int | None = None) -> Quote:
    """Where ``words`` occur in the statement (the ``occurrence``-th time, 1-based, if they occur more than once)."""
    if not words:
        raise QcoderError("--quote needs the words to quote")
    places: list[int] = []
    at = sentence_text.find(words)
    while at >= 0:
        places.append(at)
        at = sentence_text.find(words, at + 1)
    if not places:
        raise QcoderError(f"{words!r} does not occur in the statement; copy the words exactly")
    if occurrence is None:
        if len(places) > 1:
            raise QcoderError(
                f"{words!r} occurs {len(places)} times in the statement; add --occurrence N (1..{len(places)})"
            )
        occurrence = 1
    if not 1 <= occurrence <= len(places):
        raise QcoderError(f"{words!r} occurs {len(places)} time(s); --occurrence must be 1..{len(places)}")
    start = places[occurrence - 1]
    return start, start + len(words)


def _checked_quotes(session: Session, quotes: Mapping[int, Quote | None]) -> dict[int, Quote]:
    """Validate spans against their statements' text; whole-statement spans drop out."""
    wanted = [sid for sid, q in quotes.items() if q is not None]
    texts: dict[int, str] = {}
    for chunk in _chunks(wanted):
        for sid, text in session.execute(select(Sentence.id, Sentence.text).where(Sentence.id.in_(chunk))):
            texts[sid] = text
    checked: dict[int, Quote] = {}
    for sid in wanted:
        if sid not in texts:
            raise NotFound(f"statement #{sid} no longer exists; nothing was coded")
        span = check_quote(texts[sid], quotes[sid])
        if span is not None:
            checked[sid] = span
    return checked


def _chunks(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + _CHUNK]) for i in range(0, len(values), _CHUNK)]


def existing_codings(session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sentence_ids):
        found.update(
            session.scalars(
                select(Coding.sentence_id).where(
                    Coding.code_id == code_id, Coding.coder_id == coder_id, Coding.sentence_id.in_(chunk)
                )
            )
        )
    return found


def add_codings(
    session: Session,
    sentence_ids: Sequence[int],
    code_id: int,
    coder_id: int,
    *,
    present: set[int] | None = None,
    quotes: Mapping[int, Quote | None] | None = None,
    created_at: Mapping[int, datetime] | None = None,
) -> list[int]:
    """Code the statements; returns the sentence IDs that were not coded before.

    ``present`` is what ``existing_codings`` said earlier in the same transaction (saves a query).
    ``quotes``: sentence id → quote span inside that statement (missing or None: whole statement).
    ``created_at``: sentence id → when the coding was made (from another tool's file; default now).
    """
    wanted = list(dict.fromkeys(sentence_ids))
    already = existing_codings(session, wanted, code_id, coder_id) if present is None else present
    new = [sid for sid in wanted if sid not in already]
    if not new:
        return []
    new = _not_context(session, new)
    spans = _checked_quotes(session, {sid: quotes.get(sid) for sid in new}) if quotes else {}
    code = hold_code(session, code_id)
    check_one_value(session, new, code_id, coder_id, code=code)
    now = utcnow()
    times = created_at or {}
    rows = [
        {
            "sentence_id": sid,
            "code_id": code_id,
            "coder_id": coder_id,
            "created_at": times.get(sid, now),
            "quote_start": spans[sid][0] if sid in spans else None,
            "quote_end": spans[sid][1] if sid in spans else None,
        }
        for sid in new
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, Coding.__table__)
    # One statement whatever the rows (they go as parameters, batched by SQLAlchemy's
    # "insert many values"): compiled once per process, not once per toggle.
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["sentence_id", "code_id", "coder_id"])
        .returning(table.c.sentence_id)
    )
    inserted: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        inserted.update(session.scalars(statement, rows[start : start + _CHUNK]))
    added = [sid for sid in new if sid in inserted]  # what this transaction really stored, in order
    if added:
        logged = {str(sid): list(spans[sid]) for sid in added if sid in spans}
        if logged:
            log_event(session, coder_id, "coding.add", code_id=code_id, sentence_ids=added, quotes=logged)
        else:
            log_event(session, coder_id, "coding.add", code_id=code_id, sentence_ids=added)
    return added


def _not_context(session: Session, sentence_ids: list[int]) -> list[int]:
    """The statements that may be coded: interviewer turns kept as context are skipped; coding
    only such statements is refused (one line, nothing changed)."""
    context = context_ids(session, sentence_ids)
    if context and len(context) == len(sentence_ids):
        raise QcoderError(
            "these statements are interviewer turns kept as context, not for coding; code the answers instead"
            " (or re-import with --code-interviewer)"
        )
    return [sid for sid in sentence_ids if sid not in context]


class Unchecked(enum.Enum):
    UNCHECKED = "unchecked"


UNCHECKED = Unchecked.UNCHECKED  # ``set_quote(expected=...)`` not given: any current span may be changed


def held_coding(session: Session, sentence_id: int, code_id: int, coder_id: int) -> Coding | None:
    """The coder's coding of the statement with the code, read fresh; on PostgreSQL its row stays
    locked until this transaction ends, so a colleague's removal or quote change of the same coding
    waits for it (and this one waits for theirs) instead of both acting on what they read before."""
    query = select(Coding).where(
        Coding.sentence_id == sentence_id, Coding.code_id == code_id, Coding.coder_id == coder_id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def _span_words(text: str | None, span: Quote | None) -> str:
    if span is None or text is None:
        return "the whole statement"
    return f"[{span[0]}, {span[1]}) {text[span[0] : span[1]]!r}"


def set_quote(
    session: Session,
    sentence_id: int,
    code_id: int,
    coder_id: int,
    quote: Quote | None,
    *,
    expected: Quote | Unchecked | None = UNCHECKED,
) -> bool:
    """Change the quote span of an existing coding (None: the whole statement); True if it changed.

    ``expected``: the span the face showed (None: the whole statement). As with a code's
    ``expected_version``, a coding whose span was changed since is refused — one line, nothing
    changed — so two places changing the same quote never overwrite each other silently.
    """
    coding = held_coding(session, sentence_id, code_id, coder_id)
    if coding is None:
        name = session.scalar(select(Code.name).where(Code.id == code_id)) or f"#{code_id}"
        raise NotFound(
            f"the statement no longer carries {name!r} for this coder (removed from another place?);"
            " nothing was changed; refresh"
        )
    span = _checked_quotes(session, {sentence_id: quote}).get(sentence_id)
    old = None if coding.quote_start is None or coding.quote_end is None else (coding.quote_start, coding.quote_end)
    if expected is not UNCHECKED:
        seen = _checked_quotes(session, {sentence_id: expected}).get(sentence_id) if expected else None
        if seen != old:
            text = session.scalar(select(Sentence.text).where(Sentence.id == sentence_id))
            code_name = session.scalar(select(Code.name).where(Code.id == code_id))
            raise Conflict(
                f"the quote of {code_name!r} on this statement was changed since you saw it (now {_span_words(text, old)});"
                " nothing was changed; refresh and try again"
            )
    if old == span:
        return False
    coding.quote_start, coding.quote_end = (span[0], span[1]) if span else (None, None)
    session.flush()
    log_event(
        session,
        coder_id,
        "coding.quote",
        code_id=code_id,
        sentence_id=sentence_id,
        old=list(old) if old else None,
        new=list(span) if span else None,
    )
    return True


def hold_code(session: Session, code_id: int) -> Code:
    """Check the code still exists and, on PostgreSQL, keep it until this transaction ends.

    ``FOR KEY SHARE`` is the lock the coding's foreign-key check takes anyway; taking it first
    means a colleague's merge or delete of this code, which holds the row ``FOR UPDATE``, makes
    this coding wait and then fail with a clear message, instead of being acknowledged and then
    removed — and a merge or delete that comes second waits for this coding and takes it along.
    Coders coding with the same code share the lock: none waits for another's transaction.
    (SQLAlchemy spells it ``read=True, key_share=True``; ``key_share`` alone is ``FOR NO KEY
    UPDATE``, which conflicts with itself and made a team coding with one code queue.)
    """
    query = select(Code).where(Code.id == code_id)  # the code itself: the checks after this use it
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True, key_share=True)
    code = session.scalar(query)
    if code is None:
        raise NotFound(f"{gone_code(session, code_id)}; nothing was coded; refresh")
    return code


def remove_codings(
    session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int, *, present: set[int] | None = None
) -> list[int]:
    """Uncode the statements; returns the sentence IDs that were coded before (``present``: as in add_codings)."""
    wanted = list(dict.fromkeys(sentence_ids))
    if present is None:
        present = existing_codings(session, wanted, code_id, coder_id)
    gone = [sid for sid in wanted if sid in present]
    # The spans logged are the ones the rows had when deleted (RETURNING), not a read before:
    # a quote changed from another place in between is what undo must bring back.
    spans: dict[int, Quote] = {}
    deleted: set[int] = set()
    for chunk in _chunks(gone):
        for sid, start, end in session.execute(
            delete(Coding)
            .where(Coding.code_id == code_id, Coding.coder_id == coder_id, Coding.sentence_id.in_(chunk))
            .returning(Coding.sentence_id, Coding.quote_start, Coding.quote_end)
        ):
            deleted.add(sid)
            if start is not None and end is not None:
                spans[sid] = (start, end)
    removed = [sid for sid in gone if sid in deleted]  # what this transaction really removed
    if removed:
        logged = {str(sid): list(spans[sid]) for sid in removed if sid in spans}
        if logged:
            log_event(session, coder_id, "coding.remove", code_id=code_id, sentence_ids=removed, quotes=logged)
        else:
            log_event(session, coder_id, "coding.remove", code_id=code_id, sentence_ids=removed)
    return removed


def codes_on_sentences(
    session: Session, sentence_ids: Sequence[int], coder_id: int | None = None
) -> dict[int, list[tuple[int, int]]]:
    """sentence id → [(code id, coder id)] for the given statements."""
    result: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(sentence_ids):
        query = select(Coding.sentence_id, Coding.code_id, Coding.coder_id).where(Coding.sentence_id.in_(chunk))
        if coder_id is not None:
            query = query.where(Coding.coder_id == coder_id)
        for sid, cid, coder in session.execute(query.order_by(Coding.id)):
            result.setdefault(sid, []).append((cid, coder))
    return result


def codings_of_document(session: Session, document_id: int, coder_id: int | None = None) -> list[tuple[int, int, int]]:
    """(sentence id, code id, coder id) for every coding in one document."""
    query = (
        select(Coding.sentence_id, Coding.code_id, Coding.coder_id)
        .join(Sentence, Sentence.id == Coding.sentence_id)
        .where(Sentence.document_id == document_id)
    )
    if coder_id is not None:
        query = query.where(Coding.coder_id == coder_id)
    return [tuple(row) for row in session.execute(query.order_by(Coding.id))]  # type: ignore[misc]


def hold_review(session: Session, document_id: int, coder_id: int, *, exclusive: bool) -> None:
    """On PostgreSQL, hold one coder's review of one document until the transaction ends.

    Reconciliation decisions read a coder's review and hold it shared; un-marking it holds it
    exclusively, so one waits for the other. A transaction-level advisory lock, not a row lock:
    the reconciler may not lock another coder's review row under row-level security (team roles).
    """
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(
            sql_text(f"SELECT {function}(hashtext('qcoder.review'), :key)"),
            {"key": (document_id * 100_003 + coder_id) % 2_147_483_647},
        )


def mark_reviewed(session: Session, document_id: int, coder_id: int, reviewed: bool = True) -> bool:
    """Mark (or unmark) a document as completely coded by the coder; True if it changed.

    One statement each way (insert unless there, delete what is there), so the same coder marking
    or unmarking from two places at once gets one review and one event: on PostgreSQL the second
    waits for the first and then finds nothing to do, instead of failing on the unique index or
    logging a second removal of a row that was already gone.
    """
    table = cast(Table, DocumentReview.__table__)
    if reviewed:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        added = session.scalar(
            insert(table)
            .values(document_id=document_id, coder_id=coder_id, reviewed_at=utcnow())
            .on_conflict_do_nothing(index_elements=["coder_id", "document_id"])
            .returning(table.c.id)
        )
        if added is None:
            return False
        log_event(session, coder_id, "review.add", document_id=document_id)
        return True
    hold_review(session, document_id, coder_id, exclusive=True)  # a decision reading it finishes first
    removed = session.scalar(
        delete(DocumentReview)
        .where(DocumentReview.document_id == document_id, DocumentReview.coder_id == coder_id)
        .returning(DocumentReview.id)
        .execution_options(synchronize_session=False)
    )
    if removed is None:
        return False
    log_event(session, coder_id, "review.remove", document_id=document_id)
    return True


# ---------------------------------------------------------------------- the toggle's lean path
# A toggle is the workbench's most frequent change, and the researcher waits for its commit.
# Through the ORM its dozen statements cost ~4 ms of CPU on a cold start (the first key after
# a pause: caches cold), ~15 times what SQLite itself needs; written as plain SQL handed to the
# driver they cost under 1 ms. The statements are the same on SQLite and PostgreSQL (``ON
# CONFLICT``, ``RETURNING``); values go through the columns' own types (timestamps, JSON), so
# the rows are exactly what the ORM would have written.


def bound(db: Session | Connection, column: Column[Any], value: Any) -> Any:
    """``value`` as the column's type writes it on this database (an aware timestamp, JSON text)."""
    dialect = db.get_bind().dialect if isinstance(db, Session) else db.dialect
    key = (dialect.name, dialect.driver, column.table.name, column.name)
    if key not in _BINDERS:
        _BINDERS[key] = column.type.dialect_impl(dialect).bind_processor(dialect)
    process = _BINDERS[key]
    return value if process is None else process(value)


_BINDERS: dict[tuple[str, str, str, str], Callable[[Any], Any] | None] = {}


def in_list(name: str, values: Sequence[int]) -> tuple[str, dict[str, int]]:
    """``(:name0, :name1, …)`` and its parameters, for an ``IN``."""
    params = {f"{name}{i}": int(value) for i, value in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


@dataclass(frozen=True)
class Toggled:
    """What a toggle did: coded (or uncoded), the statements it changed, the code's name, and the log entry."""

    coded: bool
    changed: list[int]
    code_name: str
    action: str  # the event's action ("" when nothing changed: no event)
    payload: dict[str, Any]


def toggle_codings(db: Session | Connection, sentence_ids: Sequence[int], code_id: int, coder_id: int) -> Toggled:
    """Code the statements with the code, or uncode them if all already carry it (this coder).

    The same rules as ``add_codings`` / ``remove_codings`` — interviewer turns skipped, one value
    of an exclusive set or scale, the code held — with the event for the step returned, not
    written: the caller writes it once the step has its id (``history.record_step``). On a
    connection (``Project.run_on_connection``) the rules that read through the ORM get a session
    joined to its transaction, made only when one of them runs.
    """
    if isinstance(db, Session):
        return _toggle(db.connection(), lambda: db, sentence_ids, code_id, coder_id)
    joined: Session | None = None

    def session() -> Session:
        nonlocal joined
        if joined is None:
            joined = Session(bind=db)  # in the connection's transaction: it commits nothing itself
        return joined

    try:
        toggled = _toggle(db, session, sentence_ids, code_id, coder_id)
        if joined is not None:
            joined.flush()
        return toggled
    finally:
        if joined is not None:
            joined.close()


def _toggle(
    db: Connection, session: Callable[[], Session], sentence_ids: Sequence[int], code_id: int, coder_id: int
) -> Toggled:
    """``toggle_codings`` on the transaction's connection; ``session()`` for the rules that need the ORM."""
    wanted = list(dict.fromkeys(int(sid) for sid in sentence_ids))
    present: set[int] = set()
    for chunk in _chunks(wanted):
        ids, params = in_list("s", chunk)
        present.update(
            row[0]
            for row in driver_sql(
                db,
                f"SELECT sentence_id FROM codings WHERE code_id = :code AND coder_id = :coder AND sentence_id IN {ids}",
                {"code": code_id, "coder": coder_id, **params},
            )
        )
    if set(wanted) <= present:  # (nothing asked: nothing removed, as ``toggle`` always said)
        return _uncode(db, wanted, code_id, coder_id)
    new = [sid for sid in wanted if sid not in present]
    context: set[int] = set()
    for chunk in _chunks(new):
        ids, params = in_list("s", chunk)
        context.update(
            row[0] for row in driver_sql(db, f"SELECT id FROM sentences WHERE kind = 'context' AND id IN {ids}", params)
        )
    if context and len(context) == len(new):
        _not_context(session(), new)  # raises, in the words ``add_codings`` uses
    new = [sid for sid in new if sid not in context]
    # The code: still there (merged or deleted by a colleague: refused), and its name and parent.
    # On PostgreSQL ``hold_code`` also holds it until the commit; SQLite has one writer at a time.
    held: Any = None
    code: Code | None = None
    if db.dialect.name == "sqlite":
        held = driver_sql(db, "SELECT name, parent_id FROM codes WHERE id = :code", {"code": code_id}).first()
    if held is None:
        code = hold_code(session(), code_id)  # refuses, in its words, a code that is gone
        name, parent_id = code.name, code.parent_id
    else:
        name, parent_id = held[0], held[1]
    if parent_id is not None:  # a value of an exclusive set or scale, maybe (its parent held FOR SHARE)
        check_one_value(session(), new, code_id, coder_id, code=code)
    created = bound(db, cast(Column[Any], Coding.__table__.c.created_at), utcnow())
    inserted: set[int] = set()
    for chunk in _chunks(new):
        rows = ", ".join(f"(:s{i}, :code, :coder, :at)" for i in range(len(chunk)))
        params = {f"s{i}": sid for i, sid in enumerate(chunk)}
        inserted.update(
            row[0]
            for row in driver_sql(
                db,
                f"INSERT INTO codings (sentence_id, code_id, coder_id, created_at) VALUES {rows} "
                "ON CONFLICT (sentence_id, code_id, coder_id) DO NOTHING RETURNING sentence_id",
                {"code": code_id, "coder": coder_id, "at": created, **params},
            )
        )
    added = [sid for sid in new if sid in inserted]  # what this transaction really stored, in order
    if not added:
        return Toggled(True, [], name, "", {})
    return Toggled(True, added, name, "coding.add", {"code_id": code_id, "sentence_ids": added})


def _uncode(db: Connection, gone: list[int], code_id: int, coder_id: int) -> Toggled:
    """``remove_codings`` for statements known to carry the code: the spans logged are the deleted rows'."""
    spans: dict[int, Quote] = {}
    deleted: set[int] = set()
    for chunk in _chunks(gone):
        ids, params = in_list("s", chunk)
        for sid, start, end in driver_sql(
            db,
            f"DELETE FROM codings WHERE code_id = :code AND coder_id = :coder AND sentence_id IN {ids} "
            "RETURNING sentence_id, quote_start, quote_end",
            {"code": code_id, "coder": coder_id, **params},
        ):
            deleted.add(sid)
            if start is not None and end is not None:
                spans[sid] = (start, end)
    name = driver_sql(db, "SELECT name FROM codes WHERE id = :code", {"code": code_id}).scalar()
    removed = [sid for sid in gone if sid in deleted]  # what this transaction really removed
    if not removed:
        return Toggled(False, [], name or f"#{code_id}", "", {})
    payload: dict[str, Any] = {"code_id": code_id, "sentence_ids": removed}
    logged = {str(sid): list(spans[sid]) for sid in removed if sid in spans}
    if logged:
        payload["quotes"] = logged
    return Toggled(False, removed, name or f"#{code_id}", "coding.remove", payload)


def codes_on_sentences_now(
    db: Session | Connection, sentence_ids: Sequence[int], coder_id: int | None = None
) -> dict[int, list[tuple[int, int]]]:
    """``codes_on_sentences`` through the driver (the read-back after a toggle, same transaction)."""
    result: dict[int, list[tuple[int, int]]] = {}
    db = connection_of(db)
    for chunk in _chunks(list(sentence_ids)):
        ids, params = in_list("s", chunk)
        mine = " AND coder_id = :coder" if coder_id is not None else ""
        for sid, cid, coder in driver_sql(
            db,
            f"SELECT sentence_id, code_id, coder_id FROM codings WHERE sentence_id IN {ids}{mine} ORDER BY id",
            {**params, "coder": coder_id} if coder_id is not None else params,
        ):
            result.setdefault(sid, []).append((cid, coder))
    return result


def write_event(db: Session | Connection, coder_id: int, action: str, payload: dict[str, Any], history_id: int) -> None:
    """``log_event`` through the driver, for a step whose id is known (``history.record_step``)."""
    table = cast(Table, Event.__table__)
    driver_sql(
        db,
        "INSERT INTO events (at, coder_id, action, payload, history_id) VALUES (:at, :coder, :action, :payload, :step)",
        {
            "at": bound(db, table.c.at, utcnow()),
            "coder": coder_id,
            "action": action,
            "payload": bound(db, table.c.payload, payload),
            "step": history_id,
        },
    )
