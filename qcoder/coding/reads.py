"""What the coding screen reads, in plain SQL over a bare DB-API connection.

Why not SQLAlchemy here: these are the reads that stand between a researcher typing
``qcoder`` and seeing their document — 50,000 statements, their codings, the documents
and the code tree. Through the driver's cursor they come back as plain tuples in a
fraction of the time, and without SQLAlchemy at all they can run before the engine has
been imported (``first_look``). ``Workbench`` runs the very same functions on its
session's driver connection, so what the first screen shows and what every later
re-read shows cannot disagree.

Every function takes a ``Reader``: one connection (sqlite3 or psycopg) and its
parameter style. The SQL is the common subset of SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qcoder.coding.records import CodeInfo, DocumentSummary, StatementRow
from qcoder.store.ladder import DEFAULT_LADDER, Level, ladder_levels

Codings = dict[int, list[tuple[int, int]]]  # sentence id → [(code id, coder id)]


class Reader:
    """A DB-API connection plus the placeholder its driver wants (``?`` or ``%s``)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._qmark = isinstance(connection, sqlite3.Connection)

    @property
    def is_sqlite(self) -> bool:
        return self._qmark

    @classmethod
    def of_session(cls, session: Any) -> Reader:
        """The driver connection under a SQLAlchemy session, inside that session's transaction."""
        return cls(session.connection().connection.driver_connection)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql if self._qmark else sql.replace("?", "%s"), tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None


def levels(reader: Reader) -> list[Level]:
    stored = reader.value("SELECT value FROM settings WHERE key = ?", ("levels",))
    if isinstance(stored, str | bytes):  # SQLite keeps JSON as text; psycopg decodes it
        stored = json.loads(stored)
    return ladder_levels(stored if stored else DEFAULT_LADDER)


def coders(reader: Reader) -> list[tuple[int, str]]:
    return [(coder_id, name) for coder_id, name in reader.rows("SELECT id, name FROM coders ORDER BY id")]


def coder_id(reader: Reader, name: str) -> int | None:
    """The id of the coder with this (already cleaned) name, if there is one."""
    return reader.value("SELECT id FROM coders WHERE name = ?", (name,))


def coding_counts(reader: Reader, coder: int | None = None) -> dict[int, int]:
    """code id → number of codings (all coders, or one coder's)."""
    if coder is None:
        return dict(reader.rows("SELECT code_id, count(*) FROM codings GROUP BY code_id"))
    return dict(reader.rows("SELECT code_id, count(*) FROM codings WHERE coder_id = ? GROUP BY code_id", (coder,)))


def coding_counts_and_mine(reader: Reader, coder: int) -> dict[int, tuple[int, int]]:
    """code id → (codings by all coders, codings by ``coder``), in one pass over the codings."""
    rows = reader.rows(
        "SELECT code_id, count(*), sum(CASE WHEN coder_id = ? THEN 1 ELSE 0 END) FROM codings GROUP BY code_id",
        (coder,),
    )
    return {code_id: (int(total), int(mine)) for code_id, total, mine in rows}


def codes(reader: Reader, coder: int) -> list[CodeInfo]:
    """Every code with its codings (all coders, and this coder's), highest level first, then by name."""
    counts = coding_counts_and_mine(reader, coder)
    rows = reader.rows(
        "SELECT id, guid, name, level, parent_id, definition, colour, version FROM codes ORDER BY level DESC, name"
    )
    return [
        CodeInfo(
            id=code_id,
            guid=guid,
            name=name,
            level=level,
            parent_id=parent_id,
            definition=definition,
            colour=colour,
            version=version,
            codings=counts.get(code_id, (0, 0))[0],
            mine=counts.get(code_id, (0, 0))[1],
        )
        for code_id, guid, name, level, parent_id, definition, colour, version in rows
    ]


def statement_counts(reader: Reader) -> dict[int, int]:
    """document id → number of statements."""
    return dict(reader.rows("SELECT document_id, count(*) FROM sentences GROUP BY document_id"))


def reviewers_by_document(reader: Reader) -> dict[int, list[str]]:
    """document id → names of the coders who marked it completely coded, in the order they did."""
    reviewers: dict[int, list[str]] = {}
    for document_id, name in reader.rows(
        "SELECT r.document_id, k.name FROM document_reviews r JOIN coders k ON k.id = r.coder_id ORDER BY r.id"
    ):
        reviewers.setdefault(document_id, []).append(name)
    return reviewers


def statement_counts_and_headings(reader: Reader) -> dict[int, tuple[int, str | None]]:
    """document id → (number of statements, the text of its first heading or None).

    One pass over the statements: the first heading comes along with the count, where a
    second query for the headings would read the table again.
    """
    rows = reader.rows(
        "SELECT g.document_id, g.n, s.text FROM (SELECT document_id, count(*) AS n,"
        " min(CASE WHEN kind = 'heading' THEN ordinal END) AS first FROM sentences GROUP BY document_id) g"
        " LEFT JOIN sentences s ON s.document_id = g.document_id AND s.ordinal = g.first"
    )
    return {document_id: (int(count), heading) for document_id, count, heading in rows}


def documents(reader: Reader, coder: int, coder_name: str) -> list[DocumentSummary]:
    """Every document with its statement count, this coder's progress and who reviewed it."""
    counted = statement_counts_and_headings(reader)
    counts = {document_id: count for document_id, (count, _) in counted.items()}
    headings = {document_id: text for document_id, (_, text) in counted.items() if text is not None}
    mine = dict(  # IN counts each statement once, however many codes this coder gave it
        reader.rows(
            "SELECT s.document_id, count(*) FROM sentences s"
            " WHERE s.id IN (SELECT sentence_id FROM codings WHERE coder_id = ?) GROUP BY s.document_id",
            (coder,),
        )
    )
    reviewers = reviewers_by_document(reader)
    return [
        DocumentSummary(
            id=document_id,
            label=label,
            name=name,
            role=role,
            statements=counts.get(document_id, 0),
            coded_by_me=mine.get(document_id, 0),
            reviewed_by_me=coder_name in reviewers.get(document_id, []),
            reviewers=tuple(reviewers.get(document_id, [])),
            title=document_title(attributes, headings.get(document_id)),
        )
        for document_id, label, name, role, attributes in reader.rows(
            "SELECT id, label, name, role, attributes FROM documents ORDER BY id"
        )
    ]


TITLE_LENGTH = 60  # a heading longer than this is cut with an ellipsis when it stands for the title


def document_title(attributes: Any, heading: str | None) -> str:
    """A ``title`` attribute (as imported or set), else the first heading, else ""."""
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            attributes = {}
    title = str(attributes.get("title") or "").strip() if isinstance(attributes, dict) else ""
    title = title or (heading or "").strip()
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


def statements(reader: Reader, document_id: int, *, after: int = 0, limit: int | None = None) -> list[StatementRow]:
    """A document's statements in order (those after ordinal ``after``, at most ``limit``)."""
    sql = (
        "SELECT id, label, ordinal, kind, text, cell_width FROM sentences"
        " WHERE document_id = ? AND ordinal > ? ORDER BY ordinal"
    )
    params: tuple[int, ...] = (document_id, after)
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    return list(map(StatementRow._make, reader.rows(sql, params)))


def document_codings(
    reader: Reader, document_id: int, coder: int | None, *, after: int = 0, through: int | None = None
) -> Codings:
    """The codings in one document (one coder's, or everyone's with ``coder=None``), oldest first.

    ``after`` / ``through`` keep to the statements whose ordinal lies in (after, through].
    """
    sql = (
        "SELECT c.sentence_id, c.code_id, c.coder_id FROM codings c JOIN sentences s ON s.id = c.sentence_id"
        " WHERE s.document_id = ?"
    )
    params: tuple[int, ...] = (document_id,)
    if after:
        sql += " AND s.ordinal > ?"
        params += (after,)
    if through is not None:
        sql += " AND s.ordinal <= ?"
        params += (through,)
    if coder is not None:
        sql += " AND c.coder_id = ?"
        params += (coder,)
    result: Codings = {}
    for sentence_id, code_id, coder_id_ in reader.rows(sql + " ORDER BY c.id", params):
        result.setdefault(sentence_id, []).append((code_id, coder_id_))
    return result


@dataclass(frozen=True)
class EventMark:
    """How far live refresh has read the event log: what it has seen, and what may still come.

    ``top`` is the highest event id seen. On SQLite (one writer at a time) every event
    below it has been seen, so nothing else is needed. On PostgreSQL an id is handed out
    when the row is inserted, not when its transaction commits: a colleague's open
    transaction may commit an event *below* ``top`` later. ``holes`` are the id ranges
    below ``top`` not seen yet, ``(low, high, gate)`` inclusive; a range is watched until
    no transaction that could still hold one of its ids can be running — ``gate`` is the
    snapshot ``xmax`` taken one poll after the range was found (None until then), and the
    range is dropped once a snapshot's ``xmin`` reaches it.
    """

    top: int = 0
    holes: tuple[tuple[int, int, int | None], ...] = ()


# Ids below the newest one that a transaction still open at the first look may hold:
# when the workbench starts, this many of the newest ids are checked for ones not yet visible.
START_WINDOW = 10_000


def latest_event(reader: Reader) -> EventMark:
    """Where the event log stands now (every change to a project appends one event)."""
    top = reader.value("SELECT max(id) FROM events") or 0
    if reader.is_sqlite:
        return EventMark(top)
    mark, _changed = _pg_advance(reader, None, EventMark(max(0, top - START_WINDOW)))
    return mark


def others_changed(reader: Reader, coder: int, after: EventMark) -> tuple[EventMark, bool]:
    """(the log's new mark, whether an event not seen at ``after`` came from another coder or from no coder).

    An event is reported once: the returned mark counts it as seen.
    """
    if not reader.is_sqlite:
        return _pg_advance(reader, coder, after)
    newest = reader.value("SELECT max(id) FROM events") or 0
    if newest <= after.top:
        return after, False
    foreign = reader.value(
        "SELECT id FROM events WHERE id > ? AND (coder_id IS NULL OR coder_id != ?) LIMIT 1", (after.top, coder)
    )
    return EventMark(newest), foreign is not None


# One statement, hence one snapshot: the events not seen at the last mark (above its top
# or in its holes) and the snapshot's xmin/xmax, which say which transactions have ended.
_PG_FRESH_EVENTS = (
    "WITH snap AS (SELECT pg_current_snapshot() AS s),"
    " fresh AS ("
    "  SELECT id, coder_id FROM events WHERE id > ?"
    "  UNION ALL"
    "  SELECT e.id, e.coder_id FROM unnest(?::bigint[], ?::bigint[]) AS h(low, high)"
    "  JOIN events e ON e.id BETWEEN h.low AND h.high"
    " )"
    " SELECT pg_snapshot_xmin(snap.s)::text, pg_snapshot_xmax(snap.s)::text, f.id,"
    " (f.coder_id IS NULL OR f.coder_id <> ?)"
    " FROM snap LEFT JOIN fresh f ON true ORDER BY f.id"
)


def _pg_advance(reader: Reader, coder: int | None, after: EventMark) -> tuple[EventMark, bool]:
    """The PostgreSQL poll: new events above ``top`` and in the holes, and which holes can go.

    Why this is complete: an id below a visible one was handed out before that one, so
    before this snapshot; its transaction takes its xid in the same INSERT, at once. The
    snapshot of the next poll (seconds later) therefore has an ``xmax`` above that xid,
    and once a later snapshot's ``xmin`` has passed it the transaction has ended — if it
    committed, its event was visible to that very snapshot and was reported with it.
    """
    rows = reader.rows(
        _PG_FRESH_EVENTS,
        (after.top, [low for low, _, _ in after.holes], [high for _, high, _ in after.holes], coder or 0),
    )
    xmin, xmax = int(rows[0][0]), int(rows[0][1])
    fresh = [event_id for _, _, event_id, _ in rows if event_id is not None]
    changed = coder is not None and any(foreign for _, _, event_id, foreign in rows if event_id is not None)
    holes: list[tuple[int, int, int | None]] = []
    for low, high, gate in after.holes:
        if gate is not None and xmin >= gate:
            continue  # whoever held these ids has ended; what they committed is in ``fresh``
        holes += _unseen(low, high, fresh, xmax if gate is None else gate)
    top = max(after.top, fresh[-1] if fresh else 0)
    holes += _unseen(after.top + 1, top - 1, fresh, None)
    return EventMark(top, tuple(holes)), changed


def _unseen(low: int, high: int, seen: list[int], gate: int | None) -> list[tuple[int, int, int | None]]:
    """The ranges of [low, high] that are not in ``seen`` (sorted), each with ``gate``."""
    ranges = []
    start = low
    for event_id in seen[bisect_left(seen, low) : bisect_right(seen, high)]:
        if event_id > start:
            ranges.append((start, event_id - 1, gate))
        start = event_id + 1
    if start <= high:
        ranges.append((start, high, gate))
    return ranges
