"""Codes and the code hierarchy: create, find, rename, move, merge, split, delete.

Rules that keep a grounded-theory hierarchy sound: names are unique within a level,
a parent is always at a higher level than its child, and no code is its own ancestor.
Edits that a stale screen could make carry the version the user saw (optimistic
locking): if someone else changed the code since, the edit is refused and names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcoder.coding.events import log_event
from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.models import Code, Coder, Coding, Memo, Relation, utcnow
from qcoder.store.settings import levels

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def clean_code_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise QcoderError("a code needs a name")
    if len(cleaned) > 200:
        raise QcoderError("a code's name is at most 200 characters")
    return cleaned


def check_colour(colour: str | None) -> str | None:
    if colour is None or colour == "":
        return None
    if not _COLOUR.match(colour):
        raise QcoderError(f"colour {colour!r} is not #RRGGBB")
    return colour.upper()


def _check_level(session: Session, level: int) -> None:
    ladder = levels(session)
    if not 0 <= level < len(ladder):
        raise QcoderError(f"level {level} is outside the ladder (0–{len(ladder) - 1})")


def find_code(session: Session, name_or_guid: str, level: int | None = None) -> Code:
    """By GUID, or by name (the level disambiguates a name used at two levels)."""
    text = name_or_guid.strip()
    code = session.scalar(select(Code).where(Code.guid == text.lower().strip("{}")))
    if code is not None:
        return code
    query = select(Code).where(Code.name == clean_code_name(text))
    if level is not None:
        query = query.where(Code.level == level)
    matches = list(session.scalars(query))
    if not matches:
        raise NotFound(f"no code {text!r}; `qcoder codes` lists them")
    if len(matches) > 1:
        raise QcoderError(f"code {text!r} exists at several levels; pass --level")
    return matches[0]


def code_at(session: Session, name: str, level: int) -> Code | None:
    """The code named exactly ``name`` at ``level``, if there is one."""
    return session.scalar(select(Code).where(Code.name == name, Code.level == level))


def get_code(session: Session, code_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None:
        raise NotFound(f"code #{code_id} no longer exists (deleted by another coder?); refresh")
    return code


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
) -> Code:
    name = clean_code_name(name)
    _check_level(session, level)
    _check_parent(session, level, parent)
    if code_at(session, name, level) is not None:
        raise Conflict(f"a code named {name!r} already exists at that level")
    code = Code(
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        definition=definition,
        colour=check_colour(colour),
        created_by_id=coder.id if coder else None,
        updated_by_id=coder.id if coder else None,
    )
    if guid:
        code.guid = guid.lower().strip("{}")
    session.add(code)
    session.flush()
    log_event(session, coder.id if coder else None, "code.create", code_id=code.id, name=name, level=level)
    return code


def ensure_code(session: Session, name: str, level: int, coder: Coder | None = None) -> tuple[Code, bool]:
    """The code with this name at this level, created if missing; True when created."""
    query = select(Code).where(Code.name == clean_code_name(name), Code.level == level)
    existing = session.scalar(query)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            return create_code(session, name, level=level, coder=coder), True
    except (IntegrityError, Conflict):  # another coder's transaction created it a moment ago
        existing = session.scalar(query)
        if existing is None:
            raise
        return existing, False


def _check_version(session: Session, code: Code, expected_version: int | None) -> None:
    if expected_version is not None and code.version != expected_version:
        who = session.get(Coder, code.updated_by_id).name if code.updated_by_id else "someone"
        raise Conflict(
            f"{code.name!r} was changed by {who} at {code.updated_at:%Y-%m-%d %H:%M} since you "
            "loaded it; refresh and try again"
        )


def _touch(code: Code, coder: Coder | None) -> None:
    code.updated_at = utcnow()
    code.updated_by_id = coder.id if coder else None


def rename_code(
    session: Session, code: Code, new_name: str, *, coder: Coder | None = None,
    expected_version: int | None = None,
) -> Code:
    _check_version(session, code, expected_version)
    new_name = clean_code_name(new_name)
    if new_name == code.name:
        return code
    clash = session.scalar(select(Code).where(Code.name == new_name, Code.level == code.level, Code.id != code.id))
    if clash is not None:
        raise Conflict(f"a code named {new_name!r} already exists at that level; merge them instead")
    old = code.name
    code.name = new_name
    _touch(code, coder)
    session.flush()
    log_event(session, coder.id if coder else None, "code.rename", code_id=code.id, old=old, new=new_name)
    return code


def update_code(
    session: Session, code: Code, *, definition: str | None = None, colour: str | None = None,
    coder: Coder | None = None, expected_version: int | None = None, exemplar_sentence_id: int | None = None,
) -> Code:
    _check_version(session, code, expected_version)
    before = {"definition": code.definition, "colour": code.colour, "exemplar": code.exemplar_sentence_id}
    if definition is not None:
        code.definition = definition
    if colour is not None:
        code.colour = check_colour(colour)
    if exemplar_sentence_id is not None:
        code.exemplar_sentence_id = exemplar_sentence_id or None
    _touch(code, coder)
    session.flush()
    log_event(session, coder.id if coder else None, "code.update", code_id=code.id, before=before)
    return code


def move_code(
    session: Session, code: Code, new_parent: Code | None, *, coder: Coder | None = None,
    expected_version: int | None = None,
) -> Code:
    _check_version(session, code, expected_version)
    _check_parent(session, code.level, new_parent, code)
    old_parent = code.parent_id
    code.parent_id = new_parent.id if new_parent else None
    _touch(code, coder)
    session.flush()
    log_event(
        session, coder.id if coder else None, "code.move", code_id=code.id,
        old_parent=old_parent, new_parent=code.parent_id,
    )
    return code


def coding_count(session: Session, code: Code) -> int:
    return session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id)) or 0


def merge_codes(
    session: Session, source: Code, target: Code, *, coder: Coder | None = None,
    expected_versions: tuple[int, int] | None = None,
) -> int:
    """Fold ``source`` into ``target``: codings move (duplicates dropped), memos, relations
    and children follow; ``source`` is deleted. Returns how many codings moved."""
    if source.id == target.id:
        raise QcoderError("cannot merge a code into itself")
    if expected_versions is not None:
        _check_version(session, source, expected_versions[0])
        _check_version(session, target, expected_versions[1])
    if source.level != target.level:
        raise Conflict("merge codes of the same level; move one first")
    # Codings the target already has for the same sentence and coder are dropped.
    target_pairs = select(Coding.sentence_id, Coding.coder_id).where(Coding.code_id == target.id)
    existing = {(s, c) for s, c in session.execute(target_pairs)}
    moved = 0
    dropped: list[int] = []
    for coding in session.scalars(select(Coding).where(Coding.code_id == source.id)):
        if (coding.sentence_id, coding.coder_id) in existing:
            dropped.append(coding.id)
        else:
            coding.code_id = target.id
            moved += 1
    if dropped:
        session.execute(delete(Coding).where(Coding.id.in_(dropped)))
    session.execute(update(Memo).where(Memo.code_id == source.id).values(code_id=target.id))
    for relation in session.scalars(
        select(Relation).where((Relation.source_id == source.id) | (Relation.target_id == source.id))
    ):
        new_source = target.id if relation.source_id == source.id else relation.source_id
        new_target = target.id if relation.target_id == source.id else relation.target_id
        clash = session.scalar(
            select(Relation.id).where(
                Relation.source_id == new_source, Relation.target_id == new_target,
                Relation.type == relation.type, Relation.id != relation.id,
            )
        )
        if new_source == new_target or clash is not None:
            session.execute(update(Memo).where(Memo.relation_id == relation.id).values(relation_id=clash))
            session.delete(relation)
        else:
            relation.source_id, relation.target_id = new_source, new_target
    session.execute(update(Code).where(Code.parent_id == source.id).values(parent_id=target.id))
    if not target.definition and source.definition:
        target.definition = source.definition
    _touch(target, coder)
    log_event(
        session, coder.id if coder else None, "code.merge", source_id=source.id,
        source_name=source.name, target_id=target.id, moved=moved, dropped=len(dropped),
    )
    session.flush()
    session.delete(source)
    session.flush()
    return moved


def split_code(
    session: Session, code: Code, new_name: str, sentence_ids: Sequence[int], *,
    coder: Coder | None = None,
) -> Code:
    """A new sibling code taking over the codings of ``code`` on the given statements."""
    new_code = create_code(
        session, new_name, level=code.level, parent=code.parent, definition="", colour=code.colour, coder=coder
    )
    if sentence_ids:
        session.execute(
            update(Coding)
            .where(Coding.code_id == code.id, Coding.sentence_id.in_(list(sentence_ids)))
            .values(code_id=new_code.id)
        )
    log_event(
        session, coder.id if coder else None, "code.split", code_id=code.id, new_code_id=new_code.id,
        sentence_ids=list(sentence_ids),
    )
    return new_code


def delete_code(session: Session, code: Code, *, coder: Coder | None = None) -> int:
    """Delete a code and its codings; children move up to its parent. Returns codings removed."""
    removed = coding_count(session, code)
    session.execute(update(Code).where(Code.parent_id == code.id).values(parent_id=code.parent_id))
    session.execute(delete(Coding).where(Coding.code_id == code.id))
    log_event(
        session, coder.id if coder else None, "code.delete", code_id=code.id, name=code.name,
        level=code.level, guid=code.guid, codings=removed,
    )
    session.delete(code)
    session.flush()
    return removed


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
