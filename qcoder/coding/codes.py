"""Codes and the code hierarchy: create, find, rename, move, merge, split, delete.

Rules that keep a grounded-theory hierarchy sound: names are unique among a parent's
children (top codes: within their level), so a name may recur under different parents and
is then told apart by its path (``Parent/Child``); a parent is always at a higher level than its child, and no code is its own ancestor.
Edits that a stale screen could make carry the version the user saw (optimistic
locking): if someone else changed the code since, the edit is refused and names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcoder.coding.one_value import refuse_two_values, refuse_two_values_under
from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.events import log_event
from qcoder.store.lookup import get_or_not_found
from qcoder.store.models import Code, Coder, Coding, Memo, Relation, utcnow
from qcoder.store.rows import add_new, changed_fields, row_of
from qcoder.store.safe_text import first_control
from qcoder.store.settings import levels

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


NAME_LIMIT = 200  # characters in a code's name (the column holds 200)


def clean_code_name(name: str) -> str:
    control = first_control(name.replace("\t", " ").replace("\n", " "))
    if control is not None:  # ESC would start a terminal sequence wherever the name is shown
        raise QcoderError(f"a code's name cannot contain control characters ({control}); type it without them")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise QcoderError("a code needs a name")
    if len(cleaned) > NAME_LIMIT:
        raise QcoderError(f"a code's name is at most {NAME_LIMIT} characters")

    return cleaned


def check_colour(colour: str | None) -> str | None:
    if colour is None or colour == "":
        return None
    if not _COLOUR.match(colour):
        raise QcoderError(f"colour {colour!r} is not #RRGGBB")
    return colour.upper()


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort ``A2`` before ``A10``; codes are often numbered like that in GT tables."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part)


def _check_level(session: Session, level: int) -> None:
    ladder = levels(session)
    if not 0 <= level < len(ladder):
        raise QcoderError(f"level {level} is outside the ladder (0–{len(ladder) - 1})")


def code_paths(session: Session) -> dict[int, str]:
    """Every code's path from the top of the tree (``Root/Parent/Child``), by id."""
    rows = {cid: (name, parent) for cid, name, parent in session.execute(select(Code.id, Code.name, Code.parent_id))}
    paths: dict[int, str] = {}

    def path(cid: int) -> str:
        trail: list[str] = []
        current: int | None = cid
        while current is not None and current in rows and len(trail) <= len(rows):
            if current in paths:
                trail.append(paths[current])
                break
            name, parent = rows[current]
            trail.append(name)
            current = parent
        return "/".join(reversed(trail))

    for cid in rows:
        paths[cid] = path(cid)
    return paths


def code_path(session: Session, code: Code) -> str:
    """The code's path from the top of the tree, to tell apart codes of one name."""
    names = [code.name]
    parent_id = code.parent_id
    while parent_id is not None and len(names) < 100:
        parent = session.get(Code, parent_id)
        if parent is None:
            break
        names.append(parent.name)
        parent_id = parent.parent_id
    return "/".join(reversed(names))


def _normal_path(text: str) -> str:
    return "/".join(" ".join(part.split()) for part in text.split("/"))


def matching_codes(session: Session, name_or_path: str, level: int | None = None) -> list[Code]:
    """The codes a name or path names: the codes of that exact name; if none, the codes whose
    path ends with it (``Parent/Child`` or the full ``Root/…/Child``). A name may itself contain
    ``/``: an exact name wins."""
    name = clean_code_name(name_or_path)
    query = select(Code).where(Code.name == name)
    if level is not None:
        query = query.where(Code.level == level)
    found = list(session.scalars(query.order_by(Code.id)))
    if found or "/" not in name:
        return found
    wanted = _normal_path(name)
    last = wanted.rsplit("/", 1)[-1]
    tail = list(session.scalars(select(Code).where(Code.name == last).order_by(Code.id)))
    if not tail:
        return []
    paths = code_paths(session)
    return [
        code
        for code in tail
        if (paths[code.id] == wanted or paths[code.id].endswith("/" + wanted))
        and (level is None or code.level == level)
    ]


def ambiguous(session: Session, text: str, matches: Sequence[Code]) -> QcoderError:
    """One line naming the codes a bare name could mean, and how to say which."""
    paths = code_paths(session)
    named = sorted({paths[c.id] for c in matches})
    if len(named) < len(matches):
        return QcoderError(f"code {text!r} exists at several levels; pass --level")
    shown = ", ".join(repr(p) for p in named[:8]) + (f" and {len(named) - 8} more" if len(named) > 8 else "")
    return QcoderError(f"code {text!r} is ambiguous: {shown}; give its path, e.g. {named[0]!r}")


def find_code(session: Session, name_or_guid: str, level: int | None = None) -> Code:
    """By GUID, by name, or by path (``Parent/Child``) when codes under different parents share
    the name; the level disambiguates a name used at two levels."""
    text = name_or_guid.strip()
    code = session.scalar(select(Code).where(Code.guid == text.lower().strip("{}")))
    if code is not None:
        return code
    matches = matching_codes(session, text, level)
    if not matches:
        raise NotFound(f"no code {text!r}; `qcoder codes` lists them")
    if len(matches) > 1:
        raise ambiguous(session, text, matches)
    return matches[0]


def code_at(session: Session, name: str, level: int, *, parent_id: int | None) -> Code | None:
    """The code named exactly ``name`` among ``parent_id``'s children (a top code: at ``level``).

    Names are unique per parent; top codes (no parent) per level.
    """
    query = select(Code).where(Code.name == name)
    if parent_id is None:
        query = query.where(Code.parent_id.is_(None), Code.level == level)
    else:
        query = query.where(Code.parent_id == parent_id)
    return session.scalar(query)


def _check_sibling_name(session: Session, name: str, level: int, parent: Code | None, code_id: int | None) -> None:
    clash = code_at(session, name, level, parent_id=parent.id if parent is not None else None)
    if clash is not None and clash.id != code_id:
        where = f"under {code_path(session, parent)!r}" if parent is not None else "at the top of that level"
        raise Conflict(f"a code named {name!r} already exists {where}; rename one or merge them")


def get_code(session: Session, code_id: int, *, lock: bool = False) -> Code:
    """The code; with ``lock``, its row stays locked until the transaction ends.

    On PostgreSQL the lock (``SELECT … FOR UPDATE``) also holds back a colleague's new
    coding with this code (its foreign-key check waits), so a merge or delete cannot
    move or remove the codings it read while another coding slips in unseen. On SQLite
    the write transaction already holds the only write lock.
    """
    return get_or_not_found(
        session,
        Code,
        code_id,
        f"code #{code_id} no longer exists (deleted or merged by another coder); refresh",
        with_for_update=lock,
        populate_existing=lock,
    )


def lock_codebook(session: Session) -> None:
    """Serialize changes to the shape of the code tree (move, merge, split, delete) on PostgreSQL.

    A transaction-scoped advisory lock: two coders moving codes under each other at the
    same moment cannot build a cycle, and name checks cannot race. Codings are not held
    back by it. SQLite's single writer already serializes these changes.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('qcoder.codebook'))"))


def _check_parent(session: Session, code_level: int, parent: Code | None, code: Code | None = None) -> None:
    if parent is None:
        return
    if parent.level <= code_level:
        ladder = levels(session)
        raise Conflict(
            f"{parent.name!r} ({ladder[parent.level].name}) cannot be the parent of a "
            f"{ladder[code_level].name}: a parent must be at a higher level"
        )
    if code is not None:
        ancestor: Code | None = parent
        while ancestor is not None:
            if ancestor.id == code.id:
                raise Conflict(f"{parent.name!r} is below {code.name!r}; a code cannot be its own ancestor")
            ancestor = ancestor.parent


def create_code(
    session: Session,
    name: str,
    *,
    level: int = 0,
    parent: Code | None = None,
    definition: str = "",
    colour: str | None = None,
    coder: Coder | None = None,
    guid: str | None = None,
    code_id: int | None = None,
    inner: bool = False,
) -> Code:
    """``code_id``: re-create a code under the id it had (redo, undo of a delete).

    ``inner``: the creation is part of a larger change (a split) whose own event undoes it.
    No codebook lock: names are unique by constraint (``ensure_code`` takes the race), so
    a colleague's long import that creates codes does not hold back everyone's new codes.
    """
    name = clean_code_name(name)
    _check_level(session, level)
    _check_parent(session, level, parent)
    _check_sibling_name(session, name, level, parent, None)
    code = Code(
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        definition=definition,
        colour=check_colour(colour),
        created_by_id=coder.id if coder else None,
        updated_by_id=coder.id if coder else None,
    )
    add_new(session, code, guid=guid, row_id=code_id)
    log_event(
        session,
        coder.id if coder else None,
        "code.create",
        code_id=code.id,
        name=name,
        level=level,
        guid=code.guid,
        row=row_of(code),
        **({"inner": True} if inner else {}),
    )
    return code


def ensure_code(session: Session, name: str, level: int, coder: Coder | None = None) -> tuple[Code, bool]:
    """The code this name or path (``Parent/Child``) names at this level, created if missing;
    True when created. A bare name that several codes share is refused, naming their paths.

    A missing ``Parent/Child`` whose parent exists is created under it; anything else missing
    becomes a top code. Two coders creating it at once get one code: the unique index refuses
    the second insert, which then takes the first one's code.
    """
    cleaned = clean_code_name(name)
    matches = matching_codes(session, cleaned, level)
    if len(matches) > 1:
        raise ambiguous(session, cleaned, matches)
    if matches:
        return matches[0], False
    parent: Code | None = None
    new_name = cleaned
    if "/" in cleaned:
        head, _, last = _normal_path(cleaned).rpartition("/")
        parents = matching_codes(session, head) if head and last else []
        if len(parents) > 1:
            raise ambiguous(session, head, parents)
        if parents:
            parent, new_name = parents[0], last
    parent_id = parent.id if parent is not None else None
    try:
        with session.begin_nested():
            return create_code(session, new_name, level=level, parent=parent, coder=coder), True
    except (IntegrityError, Conflict):  # another coder's transaction created it a moment ago
        existing = code_at(session, clean_code_name(new_name), level, parent_id=parent_id)
        if existing is None or existing.level != level:
            raise
        return existing, False


def _check_version(session: Session, code: Code, expected_version: int | None) -> None:
    if expected_version is not None and code.version != expected_version:
        coder = session.get(Coder, code.updated_by_id) if code.updated_by_id else None
        who = coder.name if coder is not None else "someone"
        raise Conflict(
            f"{code.name!r} was changed by {who} at {code.updated_at:%Y-%m-%d %H:%M} since you "
            "loaded it; refresh and try again"
        )


def _touch(code: Code, coder: Coder | None) -> None:
    code.updated_at = utcnow()
    code.updated_by_id = coder.id if coder else None


def rename_code(
    session: Session,
    code: Code,
    new_name: str,
    *,
    coder: Coder | None = None,
    expected_version: int | None = None,
) -> Code:
    _check_version(session, code, expected_version)
    new_name = clean_code_name(new_name)
    if new_name == code.name:
        return code
    _check_sibling_name(session, new_name, code.level, code.parent, code.id)
    old = code.name
    code.name = new_name
    _touch(code, coder)
    _flush_names(session, new_name)
    log_event(
        session, coder.id if coder else None, "code.rename", code_id=code.id, guid=code.guid, old=old, new=new_name
    )
    return code


def _flush_names(session: Session, name: str) -> None:
    """Write a rename or move; a colleague's code of that name committed under the same parent a
    moment ago (after our check, before our write) makes the unique index refuse it: one line."""
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"a code named {name!r} was just created there by someone else; refresh and pick another name"
        ) from error


def update_code(
    session: Session,
    code: Code,
    *,
    definition: str | None = None,
    colour: str | None = None,
    coder: Coder | None = None,
    expected_version: int | None = None,
    exemplar_sentence_id: int | None = None,
) -> Code:
    """Definition, colour or exemplar; ``exemplar_sentence_id=0`` clears the exemplar."""
    _check_version(session, code, expected_version)
    wanted: dict[str, object] = {}
    if definition is not None:
        wanted["definition"] = definition
    if colour is not None:
        wanted["colour"] = check_colour(colour)
    if exemplar_sentence_id is not None:
        wanted["exemplar_sentence_id"] = exemplar_sentence_id or None
    return set_code_fields(session, code, wanted, coder=coder)


CODE_FIELDS = ("definition", "colour", "exemplar_sentence_id")


def set_code_fields(session: Session, code: Code, wanted: dict[str, object], *, coder: Coder | None = None) -> Code:
    """Set some of ``CODE_FIELDS``; the event keeps each changed field's old and new value."""
    before, after = changed_fields(code, wanted)
    if not before:
        return code
    for key, value in after.items():
        setattr(code, key, value)
    _touch(code, coder)
    session.flush()
    log_event(
        session,
        coder.id if coder else None,
        "code.update",
        code_id=code.id,
        guid=code.guid,
        before=before,
        after=after,
    )
    return code


def move_code(
    session: Session,
    code: Code,
    new_parent: Code | None,
    *,
    coder: Coder | None = None,
    expected_version: int | None = None,
) -> Code:
    _check_version(session, code, expected_version)
    lock_codebook(session)
    session.refresh(code)
    if new_parent is not None:
        session.refresh(new_parent)
    _check_parent(session, code.level, new_parent, code)
    _check_sibling_name(session, code.name, code.level, new_parent, code.id)
    old_parent = code.parent_id
    code.parent_id = new_parent.id if new_parent else None
    _touch(code, coder)
    _flush_names(session, code.name)
    if new_parent is not None:  # its codings now sit beside the set's other values
        refuse_two_values_under(session, new_parent.id, f"moving {code.name!r} under {new_parent.name!r}")
    log_event(
        session,
        coder.id if coder else None,
        "code.move",
        code_id=code.id,
        guid=code.guid,
        old_parent=old_parent,
        new_parent=code.parent_id,
    )
    return code


def _check_children_fit(session: Session, code: Code, new_parent_id: int | None, doing: str) -> None:
    """Refuse (one line, nothing changed) when ``code``'s children, moving under ``new_parent_id``,
    would meet a code of the same name there (the code itself counts: it goes only afterwards)."""
    children = list(session.scalars(select(Code).where(Code.parent_id == code.id)))
    for child in children:
        clash = code_at(session, child.name, child.level, parent_id=new_parent_id)
        if clash is not None and clash.id != child.id:
            where = (
                f"under {code_path(session, session.get_one(Code, new_parent_id))!r}"
                if new_parent_id is not None
                else "at the top"
            )
            raise Conflict(
                f"{doing} {code_path(session, code)!r} would put two codes named {child.name!r} {where}; "
                "rename or merge one of them first"
            )


def _hold_relations(session: Session, code_id: int) -> list[Relation]:
    """The code's relations, read fresh; on PostgreSQL locked ``FOR UPDATE`` before their memos are
    read, so a memo a colleague is writing on one of them (which holds it ``FOR KEY SHARE``) is
    waited for and logged, or waits and is refused, instead of cascading away unlogged."""
    query = (
        select(Relation)
        .where((Relation.source_id == code_id) | (Relation.target_id == code_id))
        .order_by(Relation.id)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(session.scalars(query))


def coding_count(session: Session, code: Code) -> int:
    return session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id)) or 0


def merge_codes(
    session: Session,
    source: Code,
    target: Code,
    *,
    coder: Coder | None = None,
    expected_versions: tuple[int, int] | None = None,
) -> int:
    """Fold ``source`` into ``target``: codings move (duplicates dropped), memos, relations
    and children follow; ``source`` is deleted. Returns how many codings moved.

    Both code rows are locked first, so a colleague's coding with ``source`` either
    committed before (and is moved) or waits and is then refused: never acknowledged
    and then lost with the deleted code. The event keeps every moved and dropped coding
    and every changed memo, relation and child, so the merge can be undone exactly.
    """
    if source.id == target.id:
        raise QcoderError("cannot merge a code into itself")
    lock_codebook(session)
    source = get_code(session, source.id, lock=True)
    target = get_code(session, target.id, lock=True)
    if expected_versions is not None:
        _check_version(session, source, expected_versions[0])
        _check_version(session, target, expected_versions[1])
    if source.level != target.level:
        raise Conflict("merge codes of the same level; move one first")
    _check_children_fit(session, source, target.id, "merging")
    source_row = row_of(source)
    target_definition = target.definition
    target_pairs = {
        (sid, cid)
        for sid, cid in session.execute(select(Coding.sentence_id, Coding.coder_id).where(Coding.code_id == target.id))
    }
    dropped_rows = [
        row_of(coding)
        for coding in session.scalars(select(Coding).where(Coding.code_id == source.id))
        if (coding.sentence_id, coding.coder_id) in target_pairs
    ]
    if dropped_rows:
        session.execute(delete(Coding).where(Coding.id.in_([row["id"] for row in dropped_rows])))
    moved_rows = [
        list(row)
        for row in session.execute(
            update(Coding)
            .where(Coding.code_id == source.id)
            .values(code_id=target.id)
            .returning(Coding.id, Coding.sentence_id, Coding.coder_id)
            .execution_options(synchronize_session=False)
        )
    ]
    memo_ids = list(session.scalars(select(Memo.id).where(Memo.code_id == source.id)))
    if memo_ids:
        session.execute(
            update(Memo)
            .where(Memo.id.in_(memo_ids))
            .values(code_id=target.id)
            .execution_options(synchronize_session=False)
        )
    relations_moved: list[list[int]] = []
    relations_deleted: list[dict[str, object]] = []
    relation_memos: list[list[int | None]] = []
    for relation in _hold_relations(session, source.id):
        new_source = target.id if relation.source_id == source.id else relation.source_id
        new_target = target.id if relation.target_id == source.id else relation.target_id
        clash = session.scalar(
            select(Relation.id).where(
                Relation.source_id == new_source,
                Relation.target_id == new_target,
                Relation.type == relation.type,
                Relation.id != relation.id,
            )
        )
        if new_source == new_target or clash is not None:
            for memo_id in session.scalars(select(Memo.id).where(Memo.relation_id == relation.id)):
                relation_memos.append([memo_id, relation.id, clash])
            session.execute(update(Memo).where(Memo.relation_id == relation.id).values(relation_id=clash))
            relations_deleted.append(row_of(relation))
            session.delete(relation)
        else:
            relations_moved.append([relation.id, relation.source_id, relation.target_id])
            relation.source_id, relation.target_id = new_source, new_target
    children = list(session.scalars(select(Code.id).where(Code.parent_id == source.id)))
    if children:
        session.execute(
            update(Code)
            .where(Code.id.in_(children))
            .values(parent_id=target.id)
            .execution_options(synchronize_session=False)
        )
    if not target.definition and source.definition:
        target.definition = source.definition
    # the codings and children that came: a statement may now hold two values of a set
    doing = f"merging {source.name!r} into {target.name!r}"
    refuse_two_values(session, target, doing)  # the children that came under it
    refuse_two_values_under(session, target.parent_id, doing)  # the codings that came to it
    _touch(target, coder)
    log_event(
        session,
        coder.id if coder else None,
        "code.merge",
        source_id=source.id,
        source_name=source.name,
        target_id=target.id,
        moved=len(moved_rows),
        dropped=len(dropped_rows),
        source_row=source_row,
        target_guid=target.guid,
        target_definition=target_definition,
        moved_codings=moved_rows,
        dropped_codings=dropped_rows,
        memo_ids=memo_ids,
        children=children,
        relations_moved=relations_moved,
        relations_deleted=relations_deleted,
        relation_memos=relation_memos,
    )
    session.flush()
    session.expire_all()
    session.delete(get_code(session, source.id))
    session.flush()
    return len(moved_rows)


def split_code(
    session: Session,
    code: Code,
    new_name: str,
    sentence_ids: Sequence[int],
    *,
    coder: Coder | None = None,
    guid: str | None = None,
    new_code_id: int | None = None,
) -> Code:
    """A new sibling code taking over the codings of ``code`` (every coder's) on the given statements."""
    code = get_code(session, code.id, lock=True)
    new_code = create_code(
        session,
        new_name,
        level=code.level,
        parent=code.parent,
        definition="",
        colour=code.colour,
        coder=coder,
        guid=guid,
        code_id=new_code_id,
        inner=True,
    )
    moved_rows: list[list[int]] = []
    for start in range(0, len(sentence_ids), 500):
        chunk = list(sentence_ids[start : start + 500])
        moved_rows.extend(
            list(row)
            for row in session.execute(
                update(Coding)
                .where(Coding.code_id == code.id, Coding.sentence_id.in_(chunk))
                .values(code_id=new_code.id)
                .returning(Coding.id, Coding.sentence_id, Coding.coder_id)
                .execution_options(synchronize_session=False)
            )
        )
    log_event(
        session,
        coder.id if coder else None,
        "code.split",
        code_id=code.id,
        new_code_id=new_code.id,
        sentence_ids=list(sentence_ids),
        new_name=new_code.name,
        new_guid=new_code.guid,
        moved_codings=moved_rows,
    )
    return new_code


def delete_code(session: Session, code: Code, *, coder: Coder | None = None) -> int:
    """Delete a code and its codings; children move up to its parent. Returns codings removed.

    The event keeps the code, its codings, relations and memos whole, so undo restores them.
    """
    lock_codebook(session)
    code = get_code(session, code.id, lock=True)
    _check_children_fit(session, code, code.parent_id, "deleting")
    codings = [row_of(c) for c in session.scalars(select(Coding).where(Coding.code_id == code.id))]
    children = list(session.scalars(select(Code.id).where(Code.parent_id == code.id)))
    relations = _hold_relations(session, code.id)
    relation_ids = [r.id for r in relations]
    memos = list(
        session.scalars(
            select(Memo).where(
                (Memo.code_id == code.id) | (Memo.relation_id.in_(relation_ids) if relation_ids else False)
            )
        )
    )
    if children:
        session.execute(
            update(Code)
            .where(Code.id.in_(children))
            .values(parent_id=code.parent_id)
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(Coding).where(Coding.code_id == code.id))
    log_event(
        session,
        coder.id if coder else None,
        "code.delete",
        code_id=code.id,
        name=code.name,
        level=code.level,
        guid=code.guid,
        codings=len(codings),
        row=row_of(code),
        coding_rows=codings,
        children=children,
        relation_rows=[row_of(r) for r in relations],
        memo_rows=[row_of(m) for m in memos],
    )
    session.delete(code)
    session.flush()
    return len(codings)


@dataclass
class CodeNode:
    code: Code
    children: list[CodeNode] = field(default_factory=list)


def code_tree(session: Session) -> list[CodeNode]:
    """Roots (codes without parent), highest level first, each with its children by name."""
    codes = list(session.scalars(select(Code).order_by(Code.level.desc(), Code.name)))
    nodes = {code.id: CodeNode(code) for code in codes}
    roots: list[CodeNode] = []
    for code in codes:
        node = nodes[code.id]
        if code.parent_id is not None and code.parent_id in nodes:
            nodes[code.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


def descendant_ids(session: Session, code_id: int) -> list[int]:
    """The code and every code below it."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in session.execute(select(Code.id, Code.parent_id)):
        children.setdefault(parent, []).append(cid)
    result, stack = [], [code_id]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(children.get(current, []))
    return result
