"""How each logged change is undone and done again.

``revert`` turns one event back; ``reapply`` does its action again (for redo), through
the same engine functions as the first time, so it is logged and locked the same way.
Before changing anything each function checks that nobody has built on the change
since (a colleague's codings on a code being un-created, a rename on top of a rename…);
if someone has, it raises ``Conflict`` naming who and what, and the caller's
transaction rolls back whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qcoder.coding import codes as code_ops
from qcoder.coding import memos as memo_ops
from qcoder.coding import relations as relation_ops
from qcoder.coding.codings import (
    Quote,
    add_codings,
    existing_codings,
    held_coding,
    hold_code,
    mark_reviewed,
    remove_codings,
    set_quote,
)
from qcoder.coding.gone import gone_code
from qcoder.coding.one_value import refuse_two_values_under
from qcoder.errors import Conflict, NotFound
from qcoder.store.events import log_event
from qcoder.store.models import Code, Coder, Coding, Document, Event, Memo, Relation, Sentence
from qcoder.store.rows import restore_row

Handler = Callable[[Session, dict[str, Any], Coder], None]


def revert(session: Session, event: Event, coder: Coder, step: str) -> None:
    handler = _REVERT.get(event.action)
    if handler is None:
        raise Conflict(f"cannot undo {step!r}: a change of kind {event.action} cannot be undone")
    _with_step(step, "undo", handler, session, event.payload, coder)


def reapply(session: Session, event: Event, coder: Coder, step: str) -> None:
    handler = _REAPPLY.get(event.action)
    if handler is None:
        raise Conflict(f"cannot redo {step!r}: a change of kind {event.action} cannot be done again")
    _with_step(step, "redo", handler, session, event.payload, coder)


def _with_step(step: str, verb: str, handler: Handler, session: Session, payload: dict[str, Any], coder: Coder) -> None:
    try:
        handler(session, payload, coder)
    except Conflict as error:
        raise Conflict(f"cannot {verb} {step!r}: {error}; nothing was changed") from error


# ----------------------------------------------------------------- who did what
def _name(session: Session, coder_id: int | None) -> str:
    if coder_id is None:
        return "someone"
    coder = session.get(Coder, coder_id)
    return coder.name if coder else "someone"


def _last_change(session: Session, actions: tuple[str, ...], key: str, value: int) -> Event | None:
    """The newest event of these kinds whose payload names ``key == value``."""
    for event in session.scalars(select(Event).where(Event.action.in_(actions)).order_by(Event.id.desc())):
        if event.payload.get(key) == value:
            return event
    return None


def _removed_since(session: Session, action: str, key: str, row_id: int, what: str) -> Conflict:
    """``what`` (e.g. "the memo was deleted") happened since: naming who, when the log knows."""
    event = _last_change(session, (action,), key, row_id)
    who = f" by {_name(session, event.coder_id)}" if event is not None else ""
    return Conflict(f"{what}{who} since")


def _gone_code(session: Session, code_id: int, name: str) -> Conflict:
    return Conflict(gone_code(session, code_id, name))


def _code(session: Session, code_id: int, name: str = "") -> Code:
    code = session.get(Code, code_id)
    if code is None:
        raise _gone_code(session, code_id, name)
    return code


def _changed_by(session: Session, code: Code) -> str:
    return f"{_name(session, code.updated_by_id)} at {code.updated_at:%Y-%m-%d %H:%M}"


def _usage(session: Session, code: Code, *, except_codings: frozenset[int] | set[int] = frozenset()) -> str | None:
    """Who uses the code, as one phrase, or None when nobody does."""
    parts: list[str] = []
    counts: dict[int, int] = {}
    for coding_id, coder_id in session.execute(select(Coding.id, Coding.coder_id).where(Coding.code_id == code.id)):
        if coding_id not in except_codings:
            counts[coder_id] = counts.get(coder_id, 0) + 1
    for coder_id, count in sorted(counts.items()):
        parts.append(f"{_name(session, coder_id)} has {count} coding{'s' if count != 1 else ''} with it")
    memos: dict[int | None, int] = {}
    for (author,) in session.execute(select(Memo.coder_id).where(Memo.code_id == code.id)):
        memos[author] = memos.get(author, 0) + 1
    for author, count in memos.items():
        parts.append(f"{_name(session, author)} wrote {count} memo{'s' if count != 1 else ''} on it")
    children = list(session.scalars(select(Code).where(Code.parent_id == code.id)))
    for child in children:
        parts.append(f"{_name(session, child.updated_by_id)} put {child.name!r} under it")
    for relation in session.scalars(
        select(Relation).where((Relation.source_id == code.id) | (Relation.target_id == code.id))
    ):
        parts.append(f"{_name(session, relation.coder_id)} related it ({relation.type})")
    return "; ".join(parts) if parts else None


# ----------------------------------------------------------------- codings and reviews
def _sentences_left(session: Session, ids: list[int]) -> list[int]:
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(select(Sentence.id).where(Sentence.id.in_(ids[start : start + 500]))))
    return [sid for sid in ids if sid in found]


def _held_code(session: Session, code_id: int) -> Code:
    """The code, held as a coding holds it (``hold_code``): a colleague's merge or delete of it in
    progress is waited for and then named, instead of moving the codings this step is about to
    remove from under it (the removal would find nothing and the undo report success)."""
    try:
        return hold_code(session, code_id)
    except NotFound:
        raise _gone_code(session, code_id, "") from None


def _require_codings(session: Session, payload: dict[str, Any], coder: Coder, present: bool) -> tuple[Code, list[int]]:
    code = _held_code(session, payload["code_id"])
    ids = [int(sid) for sid in payload["sentence_ids"]]
    have = existing_codings(session, ids, code.id, coder.id)
    wrong = [sid for sid in ids if (sid in have) != present]
    if wrong:
        state = "no longer carry" if present else "carry again"
        raise Conflict(f"{len(wrong)} of the statements {state} {code.name!r} (changed outside this history since)")
    return code, ids


def _coding_added_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code, ids = _require_codings(session, payload, coder, present=True)
    remove_codings(session, ids, code.id, coder.id)


def _logged_quotes(payload: dict[str, Any]) -> dict[int, Quote | None]:
    """The quote spans an event logged (JSON keys are text)."""
    return {int(sid): (int(span[0]), int(span[1])) for sid, span in (payload.get("quotes") or {}).items()}


def _coding_added_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code = _code(session, payload["code_id"])
    ids = _sentences_left(session, [int(s) for s in payload["sentence_ids"]])
    add_codings(session, ids, code.id, coder.id, quotes=_logged_quotes(payload))


def _coding_removed_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code = _code(session, payload["code_id"])
    ids = _sentences_left(session, [int(s) for s in payload["sentence_ids"]])
    add_codings(session, ids, code.id, coder.id, quotes=_logged_quotes(payload))


def _quote_changed(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        code = _code(session, payload["code_id"])
        sentence_id = int(payload["sentence_id"])
        before, after = (payload["old"], payload["new"]) if forward else (payload["new"], payload["old"])
        coding = held_coding(session, sentence_id, code.id, coder.id)  # locked: checked and changed as one
        if coding is None:
            raise Conflict(f"the statement no longer carries {code.name!r}")
        now = None if coding.quote_start is None else [coding.quote_start, coding.quote_end]
        if now != (list(before) if before else None):
            raise Conflict(f"the quote of {code.name!r} on that statement was changed since")
        set_quote(session, sentence_id, code.id, coder.id, (int(after[0]), int(after[1])) if after else None)

    return handler


def _coding_removed_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code, ids = _require_codings(session, payload, coder, present=True)
    remove_codings(session, ids, code.id, coder.id)


def _review(reviewed: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        if session.get(Document, payload["document_id"]) is None:
            raise Conflict("the document was deleted since")
        mark_reviewed(session, payload["document_id"], coder.id, reviewed)

    return handler


# ----------------------------------------------------------------- code tree
def _code_created_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code_ops.lock_codebook(session)
    code = _code(session, payload["code_id"], payload.get("name", ""))
    # locked before looking for use: a colleague's coding in progress is waited for and seen
    code = code_ops.get_code(session, code.id, lock=True)
    used = _usage(session, code)
    if used:
        raise Conflict(f"{code.name!r} is in use: {used}")
    code_ops.delete_code(session, code, coder=coder)


def _code_created_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    row = payload.get("row") or {}
    parent_id = row.get("parent_id")
    parent = _code(session, parent_id) if parent_id is not None else None
    code_ops.create_code(
        session,
        payload["name"],
        level=payload["level"],
        parent=parent,
        definition=row.get("definition", ""),
        colour=row.get("colour"),
        coder=coder,
        guid=payload.get("guid"),
        code_id=payload["code_id"],
    )


def _renamed(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        expected, wanted = (payload["old"], payload["new"]) if forward else (payload["new"], payload["old"])
        code = _code(session, payload["code_id"], expected)
        if code.name != expected:
            raise Conflict(f"{expected!r} was renamed to {code.name!r} by {_changed_by(session, code)}")
        code_ops.rename_code(session, code, wanted, coder=coder)

    return handler


def _updated(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        expected, wanted = (payload["before"], payload["after"]) if forward else (payload["after"], payload["before"])
        code = _code(session, payload["code_id"])
        for key, value in expected.items():
            if getattr(code, key) != value:
                raise Conflict(
                    f"the {key.replace('_', ' ')} of {code.name!r} was changed by {_changed_by(session, code)}"
                )
        code_ops.set_code_fields(session, code, dict(wanted), coder=coder)

    return handler


def _moved(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        expected, wanted = (
            (payload["old_parent"], payload["new_parent"])
            if forward
            else (payload["new_parent"], payload["old_parent"])
        )
        code = _code(session, payload["code_id"])
        if code.parent_id != expected:
            raise Conflict(f"{code.name!r} was moved by {_changed_by(session, code)}")
        parent = _code(session, wanted) if wanted is not None else None
        code_ops.move_code(session, code, parent, coder=coder)

    return handler


def _ids_where(session: Session, column: Any, ids: list[int], *conditions: Any) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(select(column).where(column.in_(ids[start : start + 500]), *conditions)))
    return found


def _merged_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    if "source_row" not in payload:
        raise Conflict("this merge was made by an older qcoder and kept too little to be undone")
    code_ops.lock_codebook(session)
    source = payload["source_row"]
    target = _code(session, payload["target_id"])
    target = code_ops.get_code(session, target.id, lock=True)
    if session.get(Code, source["id"]) is not None:
        raise Conflict(f"{source['name']!r} exists again")
    if code_ops.code_at(session, source["name"], source["level"], parent_id=source.get("parent_id")) is not None:
        raise Conflict(f"a code named {source['name']!r} was created in its place since")
    moved = [int(row[0]) for row in payload["moved_codings"]]
    still = _ids_where(session, Coding.id, moved, Coding.code_id == target.id)
    if len(still) != len(moved):
        gone = len(moved) - len(still)
        raise Conflict(f"{gone} of the codings merged into {target.name!r} were removed or moved since")
    children = [int(c) for c in payload["children"]]
    if len(_ids_where(session, Code.id, children, Code.parent_id == target.id)) != len(children):
        raise Conflict(f"codes moved under {target.name!r} by the merge were moved again since")
    memo_ids = [int(m) for m in payload["memo_ids"]]
    if len(_ids_where(session, Memo.id, memo_ids, Memo.code_id == target.id)) != len(memo_ids):
        raise Conflict(f"memos moved to {target.name!r} by the merge were moved or deleted since")
    for relation_id, _old_source, _old_target in payload["relations_moved"]:
        if session.get(Relation, relation_id) is None:
            raise Conflict("a relation moved by the merge was removed since")
    parent_id = source.get("parent_id")
    if parent_id is not None and session.get(Code, parent_id) is None:
        raise Conflict(f"the parent of {source['name']!r} was deleted since")

    restore_row(session, Code, source)
    for start in range(0, len(moved), 500):
        session.execute(
            update(Coding)
            .where(Coding.id.in_(moved[start : start + 500]))
            .values(code_id=source["id"])
            .execution_options(synchronize_session=False)
        )
    for row in payload["dropped_codings"]:
        restore_row(session, Coding, row)
    if memo_ids:
        session.execute(
            update(Memo)
            .where(Memo.id.in_(memo_ids))
            .values(code_id=source["id"])
            .execution_options(synchronize_session=False)
        )
    for relation_id, old_source, old_target in payload["relations_moved"]:
        session.execute(
            update(Relation).where(Relation.id == relation_id).values(source_id=old_source, target_id=old_target)
        )
    for row in payload["relations_deleted"]:
        restore_row(session, Relation, row)
    for memo_id, relation_id, _clash in payload["relation_memos"]:
        session.execute(update(Memo).where(Memo.id == memo_id).values(relation_id=relation_id))
    if children:
        session.execute(
            update(Code)
            .where(Code.id.in_(children))
            .values(parent_id=source["id"])
            .execution_options(synchronize_session=False)
        )
    if target.definition != payload["target_definition"] and target.definition == source.get("definition"):
        target.definition = payload["target_definition"]
    session.flush()
    doing = f"restoring {source['name']!r}"
    refuse_two_values_under(session, source.get("parent_id"), doing)  # its codings, back beside other values
    refuse_two_values_under(session, source["id"], doing)  # its children, back under it
    session.expire_all()
    log_event(
        session,
        coder.id,
        "code.unmerge",
        source_id=source["id"],
        target_id=target.id,
        name=source["name"],
        moved_codings=payload["moved_codings"],
        restored_codings=[[row["id"], row["sentence_id"], row["coder_id"]] for row in payload["dropped_codings"]],
    )
    session.flush()


def _merged_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    source = _code(session, payload["source_id"], payload.get("source_name", ""))
    target = _code(session, payload["target_id"])
    code_ops.merge_codes(session, source, target, coder=coder)


def _split_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code_ops.lock_codebook(session)
    code = _code(session, payload["code_id"])
    new_code = code_ops.get_code(
        session, _code(session, payload["new_code_id"], payload.get("new_name", "")).id, lock=True
    )
    moved = [int(row[0]) for row in payload.get("moved_codings", [])]
    if len(_ids_where(session, Coding.id, moved, Coding.code_id == new_code.id)) != len(moved):
        raise Conflict(f"codings moved to {new_code.name!r} by the split were removed or moved since")
    used = _usage(session, new_code, except_codings=set(moved))
    if used:
        raise Conflict(f"{new_code.name!r} is in use: {used}")
    for start in range(0, len(moved), 500):
        session.execute(
            update(Coding)
            .where(Coding.id.in_(moved[start : start + 500]))
            .values(code_id=code.id)
            .execution_options(synchronize_session=False)
        )
    log_event(
        session,
        coder.id,
        "code.unsplit",
        code_id=code.id,
        new_code_id=new_code.id,
        moved_codings=payload.get("moved_codings", []),
    )
    session.flush()
    session.expire_all()
    code_ops.delete_code(session, code_ops.get_code(session, new_code.id), coder=coder)


def _split_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code = _code(session, payload["code_id"])
    code_ops.split_code(
        session,
        code,
        payload["new_name"],
        [int(s) for s in payload["sentence_ids"]],
        coder=coder,
        guid=payload.get("new_guid"),
        new_code_id=payload["new_code_id"],
    )


def _deleted_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    if "row" not in payload:
        raise Conflict("this delete was made by an older qcoder and kept too little to be undone")
    code_ops.lock_codebook(session)
    row = payload["row"]
    if session.get(Code, row["id"]) is not None:
        raise Conflict(f"{row['name']!r} exists again")
    if code_ops.code_at(session, row["name"], row["level"], parent_id=row.get("parent_id")) is not None:
        raise Conflict(f"a code named {row['name']!r} was created in its place since")
    parent_id = row.get("parent_id")
    if parent_id is not None and session.get(Code, parent_id) is None:
        raise Conflict(f"the parent of {row['name']!r} was deleted since")
    for relation in payload["relation_rows"]:
        other = relation["target_id"] if relation["source_id"] == row["id"] else relation["source_id"]
        if other != row["id"] and session.get(Code, other) is None:
            raise Conflict(f"a code related to {row['name']!r} was deleted since")
    restore_row(session, Code, row)
    for relation in payload["relation_rows"]:
        restore_row(session, Relation, relation)
    for memo in payload["memo_rows"]:
        restore_row(session, Memo, memo)
    sentences = set(_sentences_left(session, [int(r["sentence_id"]) for r in payload["coding_rows"]]))
    restored = [r for r in payload["coding_rows"] if r["sentence_id"] in sentences]
    for coding in restored:
        restore_row(session, Coding, coding)
    children = [int(c) for c in payload["children"]]
    if children:
        session.execute(
            update(Code)
            .where(Code.id.in_(children), Code.parent_id.is_not_distinct_from(parent_id))
            .values(parent_id=row["id"])
            .execution_options(synchronize_session=False)
        )
    # a value of a set coming back: a coder may have given its statements another value meanwhile
    refuse_two_values_under(session, parent_id, f"restoring {row['name']!r}")
    refuse_two_values_under(session, row["id"], f"restoring {row['name']!r}")
    log_event(
        session,
        coder.id,
        "code.undelete",
        code_id=row["id"],
        name=row["name"],
        restored_codings=[[r["id"], r["sentence_id"], r["coder_id"]] for r in restored],
    )
    session.flush()


def _deleted_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    code_ops.delete_code(session, _code(session, payload["code_id"], payload.get("name", "")), coder=coder)


# ----------------------------------------------------------------- relations
def _relation(session: Session, relation_id: int) -> Relation:
    relation = session.get(Relation, relation_id)
    if relation is None:
        raise _removed_since(session, "relation.remove", "relation_id", relation_id, "the relation was removed")
    return relation


def _relation_added_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    relation = _relation(session, payload["relation_id"])
    authors = sorted(
        {_name(session, a) for a in session.scalars(select(Memo.coder_id).where(Memo.relation_id == relation.id))}
    )
    if authors:
        raise Conflict(f"{', '.join(authors)} wrote memos on the relation since")
    row = payload.get("row") or {}
    if row and (relation.type, relation.note) != (row.get("type"), row.get("note")):
        event = _last_change(session, ("relation.update",), "relation_id", relation.id)
        who = _name(session, event.coder_id) if event is not None else "someone"
        raise Conflict(f"the relation was edited by {who} since")
    relation_ops.remove_relation(session, relation, coder=coder)


def _relation_added_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    row = payload.get("row") or {}
    source = _code(session, payload["source_id"])
    target = _code(session, payload["target_id"])
    relation_ops.add_relation(
        session,
        source,
        target,
        payload["type"],
        row.get("note", ""),
        coder=coder,
        guid=row.get("guid"),
        relation_id=payload["relation_id"],
    )


def _relation_updated(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        if "after" not in payload:
            raise Conflict("this edit was made by an older qcoder and kept too little to be undone")
        expected, wanted = (payload["before"], payload["after"]) if forward else (payload["after"], payload["before"])
        relation = _relation(session, payload["relation_id"])
        for key, value in expected.items():
            if getattr(relation, key) != value:
                event = _last_change(session, ("relation.update",), "relation_id", relation.id)
                who = _name(session, event.coder_id) if event is not None else "someone"
                raise Conflict(f"the relation's {key} was changed by {who} since")
        relation_ops.set_relation_fields(session, relation, dict(wanted), coder=coder)

    return handler


def _relation_removed_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    if "row" not in payload:
        raise Conflict("this removal was made by an older qcoder and kept too little to be undone")
    row = payload["row"]
    _code(session, row["source_id"])
    _code(session, row["target_id"])
    if session.get(Relation, row["id"]) is not None:
        raise Conflict("the relation exists again")
    if relation_ops.find_relation(session, row["source_id"], row["target_id"], row["type"]) is not None:
        raise Conflict("the same relation was added again since")
    restore_row(session, Relation, row)
    for memo in payload.get("memo_rows", []):
        restore_row(session, Memo, memo)
    log_event(
        session,
        coder.id,
        "relation.restore",
        relation_id=row["id"],
        memo_ids=[m["id"] for m in payload.get("memo_rows", [])],
    )


def _relation_removed_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    relation_ops.remove_relation(session, _relation(session, payload["relation_id"]), coder=coder)


# ----------------------------------------------------------------- memos
def _memo(session: Session, memo_id: int) -> Memo:
    memo = session.get(Memo, memo_id)
    if memo is None:
        raise _removed_since(session, "memo.delete", "memo_id", memo_id, "the memo was deleted")
    return memo


def _require_memo_fields(session: Session, memo: Memo, expected: dict[str, Any]) -> None:
    """The memo still reads as this step left it; otherwise someone edited it since."""
    for key, value in expected.items():
        if getattr(memo, key) != value:
            raise Conflict(
                f"the memo was edited by {_name(session, memo.updated_by_id)} at {memo.updated_at:%Y-%m-%d %H:%M} since"
            )


def _memo_added_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    memo = _memo(session, payload["memo_id"])
    row = payload.get("row") or {}
    _require_memo_fields(session, memo, {key: row[key] for key in memo_ops.MEMO_FIELDS if key in row})
    memo_ops.delete_memo(session, memo, coder=coder)


def _memo_added_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    _restore_memo(session, payload, coder)


def _restore_memo(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    row = payload.get("row")
    if not row:
        raise Conflict("this memo was written by an older qcoder and kept too little to be restored")
    if session.get(Memo, row["id"]) is not None:
        raise Conflict("the memo exists again")
    for column, model in (
        ("code_id", Code),
        ("relation_id", Relation),
        ("document_id", Document),
        ("sentence_id", Sentence),
    ):
        if row.get(column) is not None and session.get(model, row[column]) is None:
            raise Conflict(f"what the memo is on ({column.removesuffix('_id')}) was deleted since")
    memo = restore_row(session, Memo, row)
    log_event(session, coder.id, "memo.add", memo_id=memo.id, restored=True, row=row)


def _memo_updated(forward: bool) -> Handler:
    def handler(session: Session, payload: dict[str, Any], coder: Coder) -> None:
        if "after" not in payload:
            raise Conflict("this edit was made by an older qcoder and kept too little to be undone")
        memo = _memo(session, payload["memo_id"])
        expected, wanted = (payload["before"], payload["after"]) if forward else (payload["after"], payload["before"])
        _require_memo_fields(session, memo, expected)
        memo_ops.set_memo_fields(session, memo, dict(wanted), coder=coder)

    return handler


def _memo_deleted_revert(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    _restore_memo(session, payload, coder)


def _memo_deleted_reapply(session: Session, payload: dict[str, Any], coder: Coder) -> None:
    memo_ops.delete_memo(session, _memo(session, payload["memo_id"]), coder=coder)


_REVERT: dict[str, Handler] = {
    "coding.add": _coding_added_revert,
    "coding.remove": _coding_removed_revert,
    "coding.quote": _quote_changed(False),
    "review.add": _review(False),
    "review.remove": _review(True),
    "code.create": _code_created_revert,
    "code.rename": _renamed(False),
    "code.update": _updated(False),
    "code.move": _moved(False),
    "code.merge": _merged_revert,
    "code.split": _split_revert,
    "code.delete": _deleted_revert,
    "relation.add": _relation_added_revert,
    "relation.update": _relation_updated(False),
    "relation.remove": _relation_removed_revert,
    "memo.add": _memo_added_revert,
    "memo.update": _memo_updated(False),
    "memo.delete": _memo_deleted_revert,
}

_REAPPLY: dict[str, Handler] = {
    "coding.add": _coding_added_reapply,
    "coding.remove": _coding_removed_reapply,
    "coding.quote": _quote_changed(True),
    "review.add": _review(True),
    "review.remove": _review(False),
    "code.create": _code_created_reapply,
    "code.rename": _renamed(True),
    "code.update": _updated(True),
    "code.move": _moved(True),
    "code.merge": _merged_reapply,
    "code.split": _split_reapply,
    "code.delete": _deleted_reapply,
    "relation.add": _relation_added_reapply,
    "relation.update": _relation_updated(True),
    "relation.remove": _relation_removed_reapply,
    "memo.add": _memo_added_reapply,
    "memo.update": _memo_updated(True),
    "memo.delete": _memo_deleted_reapply,
}
