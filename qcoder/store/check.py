"""`qcoder db check`: find damage the schema alone cannot prevent or did not prevent.

SQLite only enforces foreign keys when a connection asks for it, so a project edited by
another tool can hold codings of deleted statements; and no constraint can say that a
statement's offsets still point at its text. Everything here reads; nothing repairs.
Sentences are streamed one document at a time so 100k statements stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import aliased

from qcoder.store.database import Project
from qcoder.store.models import Base, Code, Coder, Coding, Document, Event, Sentence
from qcoder.store.replay import expected_codings

# Report at most this many problems of one kind in detail; a badly damaged project
# would otherwise print a million lines. The summary line says how many were left out.
MAX_PER_KIND = 50


@dataclass(frozen=True)
class Problem:
    """One finding, ``message`` being one line a researcher can act on.

    ``kind`` is one of ``integrity`` (SQLite file damage), ``foreign_key`` (SQLite FK check),
    ``orphan`` (a row pointing at a missing row), ``level`` (parent not above child),
    ``label`` (duplicate label or code name), ``offset`` (statement text and document
    disagree), ``order`` / ``overlap`` (statement spans out of order or overlapping),
    ``lost`` (an acknowledged coding that is gone although no logged change removed it).
    """

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class _Report:
    """Collects problems, capping each kind at ``MAX_PER_KIND`` detailed lines."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}

    def add(self, kind: str, message: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= MAX_PER_KIND:
            self.problems.append(Problem(kind, message))

    def finish(self) -> list[Problem]:
        for kind, count in self.counts.items():
            if count > MAX_PER_KIND:
                self.problems.append(Problem(kind, f"… and {count - MAX_PER_KIND} more {kind} problems not listed"))
        return self.problems


def check_project(project: Project) -> list[Problem]:
    """All problems found in the project; an empty list means the project is sound."""
    report = _Report()
    engine = project.engine
    if not project.is_sqlite:  # one snapshot for all queries, like SQLite's read transaction
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        reported: set[tuple[str, int, str]] = set()
        if project.is_sqlite:
            _sqlite_integrity(connection, report)
        _orphans(connection, report, reported)
        if project.is_sqlite:
            _sqlite_foreign_keys(connection, report, reported)
        _code_levels(connection, report)
        _duplicate_labels(connection, report)
        _sentence_offsets(connection, report)
        _lost_codings(connection, report)
    return report.finish()


def _sqlite_integrity(connection: Connection, report: _Report) -> None:
    rows = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA integrity_check")]
    if rows != ["ok"]:
        for row in rows:
            report.add("integrity", f"SQLite integrity check: {row}")


def _orphans(connection: Connection, report: _Report, reported: set[tuple[str, int, str]]) -> None:
    """Rows whose foreign key names a row that does not exist (every FK of the models)."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
            column = fk.parent
            parent: Table = fk.column.table
            target = parent.alias("target")
            query = (
                select(table.c.id, column)
                .select_from(table.outerjoin(target, target.c[fk.column.name] == column))
                .where(column.is_not(None), target.c[fk.column.name].is_(None))
                .order_by(table.c.id)
            )
            for row_id, value in connection.execute(query):
                reported.add((table.name, int(row_id), column.name))
                report.add(
                    "orphan",
                    f"{_singular(table.name)} {row_id}: {column.name} = {value} "
                    f"but there is no {_singular(parent.name)} {value}",
                )


def _sqlite_foreign_keys(connection: Connection, report: _Report, reported: set[tuple[str, int, str]]) -> None:
    """``PRAGMA foreign_key_check``, minus what ``_orphans`` already said in plainer words."""
    columns: dict[tuple[str, int], str] = {}
    for table, rowid, parent, fkid in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        key = (str(table), int(fkid))
        if key not in columns:
            for fk_row in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
                columns[(str(table), int(fk_row[0]))] = str(fk_row[3])
        column = columns.get(key, "?")
        if rowid is not None and (str(table), int(rowid), column) in reported:
            continue
        report.add(
            "foreign_key",
            f"{table} row {rowid}: {column} points to a missing {parent} row",
        )


def _code_levels(connection: Connection, report: _Report) -> None:
    """A code's parent must sit on a higher rung of the ladder than the code itself."""
    child = aliased(Code, name="child")
    parent = aliased(Code, name="parent")
    query = (
        select(child.id, child.name, child.level, parent.id, parent.name, parent.level)
        .join(parent, parent.id == child.parent_id)
        .where(parent.level <= child.level)
        .order_by(child.id)
    )
    for cid, cname, clevel, pid, pname, plevel in connection.execute(query):
        report.add(
            "level",
            f"code {cid} {cname!r} (level {clevel}) has parent {pid} {pname!r} at level "
            f"{plevel}; a parent must be at a higher level",
        )


def _duplicate_labels(connection: Connection, report: _Report) -> None:
    """Labels are how researchers cite statements (D03-S017); two rows must never share one."""
    for model, what in ((Document, "document"), (Sentence, "statement")):
        label = model.label
        query = select(label, func.count()).group_by(label).having(func.count() > 1).order_by(label)
        for value, count in connection.execute(query):
            report.add("label", f"{count} {what}s share the label {value!r}")
    codes = (
        select(Code.name, Code.level, func.count())
        .group_by(Code.name, Code.level)
        .having(func.count() > 1)
        .order_by(Code.level, Code.name)
    )
    for name, level, count in connection.execute(codes):
        report.add("label", f"{count} codes at level {level} share the name {name!r}")


def _sentence_offsets(connection: Connection, report: _Report) -> None:
    """``document.text[start:end] == sentence.text``; spans in ordinal order, no overlaps."""
    ids = [row[0] for row in connection.execute(select(Document.id).order_by(Document.id))]
    for document_id in ids:
        row = connection.execute(select(Document.label, Document.text).where(Document.id == document_id)).one_or_none()
        if row is None:  # deleted while we were checking
            continue
        doc_label, text = row
        query = (
            select(
                Sentence.id,
                Sentence.label,
                Sentence.ordinal,
                Sentence.start,
                Sentence.end,
                Sentence.text,
            )
            .where(Sentence.document_id == document_id)
            .order_by(Sentence.ordinal)
        )
        previous: tuple[str, int, int] | None = None  # label, start, end
        for _sid, label, _ordinal, start, end, sentence_text in connection.execute(query):
            where = f"statement {label} of {doc_label}"
            if not 0 <= start < end <= len(text):
                report.add(
                    "offset",
                    f"{where}: span {start}–{end} lies outside the document (length {len(text)})",
                )
            elif text[start:end] != sentence_text:
                report.add(
                    "offset",
                    f"{where}: document text at {start}–{end} is {_excerpt(text[start:end])}, "
                    f"the statement says {_excerpt(sentence_text)}",
                )
            if previous is not None:
                prev_label, prev_start, prev_end = previous
                if start < prev_start:
                    report.add(
                        "order",
                        f"{where}: starts at {start}, before the preceding statement {prev_label} (at {prev_start})",
                    )
                elif start < prev_end:
                    report.add(
                        "overlap",
                        f"{where}: span {start}–{end} overlaps {prev_label} ({prev_start}–{prev_end})",
                    )
            previous = (label, start, end)


def _lost_codings(connection: Connection, report: _Report) -> None:
    """Codings the event log acknowledged and never took back, but that the table lacks."""
    expected = expected_codings(connection)
    if not expected:
        return
    present = {tuple(row) for row in connection.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id))}
    lost = sorted((key, event_id) for key, event_id in expected.items() if key not in present)
    if not lost:
        return
    labels = dict(connection.execute(select(Sentence.id, Sentence.label)).all())
    codes = dict(connection.execute(select(Code.id, Code.name)).all())
    coders = dict(connection.execute(select(Coder.id, Coder.name)).all())
    times = dict(
        connection.execute(select(Event.id, Event.at).where(Event.id.in_({e for _k, e in lost[:MAX_PER_KIND]}))).all()
    )
    for (sentence_id, code_id, coder_id), event_id in lost:
        when = times.get(event_id)
        report.add(
            "lost",
            f"{labels.get(sentence_id, f'statement {sentence_id}')} coded "
            f"{codes.get(code_id, f'code #{code_id}')!r} by {coders.get(coder_id, f'coder {coder_id}')} "
            f"(acknowledged, event {event_id}{f' at {when:%Y-%m-%d %H:%M}' if when else ''}) is gone, "
            "though no logged change removed it; restore it from a backup",
        )


def _excerpt(value: str, limit: int = 24) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(shown)


def _singular(table: str) -> str:
    special = {"codings": "coding", "document_reviews": "document review"}
    if table in special:
        return special[table]
    return table[:-1] if table.endswith("s") else table
