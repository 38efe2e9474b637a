"""Scale codes and mutually exclusive sets: a code whose children are one categorical variable.

Why: a rating such as 情绪强度 弱 / 中 / 强 (or 1–5) is one value per statement, not three
codes a coder may stack; and agreement on it must be read at its level of measurement
(α ordinal, weighted κ), not code by code. A code marked ``exclusive`` makes its direct
children mutually exclusive for each coder and statement; a ``scale`` code is exclusive
and its children are ordered values with a number each (``scale_value``). The values are
ordinary codes named ``SCALE=VALUE`` one level below the scale, so coding, undo, export
and roll-up need nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qcoder.coding.codes import ambiguous, code_at, create_code, find_code, get_code, matching_codes, set_code_fields
from qcoder.coding.one_value import first_clash, refuse_two_values
from qcoder.errors import Conflict, QcoderError
from qcoder.store.models import Code, Coder, Coding, Sentence

SCALE_LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
SEPARATOR = "="


@dataclass(frozen=True)
class Variable:
    """An exclusive set or a scale: the parent code and its values in order."""

    code_id: int
    name: str
    level: int  # the parent's level in the code ladder
    scale: str | None  # level of measurement; None for an exclusive set of codes
    value_ids: tuple[int, ...]
    value_names: tuple[str, ...]  # without the "SCALE=" prefix
    numbers: tuple[float, ...]  # scale_value, or the position 1..n


def value_name(scale: str, value: str) -> str:
    return f"{scale}{SEPARATOR}{value}"


def short_name(parent: str, child: str) -> str:
    """A value's name without its scale's prefix."""
    prefix = parent + SEPARATOR
    return child[len(prefix) :] if child.startswith(prefix) else child


def _numbers(values: Sequence[str]) -> list[float]:
    """The numbers the values' names give when every name is a number, else positions 1..n."""
    try:
        return [float(v) for v in values]
    except ValueError:
        return [float(i + 1) for i in range(len(values))]


def make_scale(
    session: Session,
    name: str,
    values: Sequence[str],
    measurement: str = "ordinal",
    *,
    level: int = 1,
    coder: Coder | None = None,
) -> Code:
    """Create (or turn) the code ``name`` at ``level`` into a scale with ``values`` in order.

    Existing values are kept (their number is updated); new ones are created one level below.
    """
    if measurement not in SCALE_LEVELS:
        raise QcoderError(f"a scale's level is one of {', '.join(SCALE_LEVELS)}; got {measurement!r}")
    cleaned = [v.strip() for v in values if v.strip()]
    if len(cleaned) < 2 or len(set(cleaned)) != len(cleaned):
        raise QcoderError("a scale needs two or more different values, e.g. --values 弱,中,强")
    if level < 1:
        raise QcoderError("a scale's values are codes one level below it; put the scale at level 1 or higher")
    numbers = _numbers(cleaned)
    if measurement == "ratio" and min(numbers) < 0:
        raise QcoderError("a ratio scale has no negative values; use --level interval")
    parent = _code_or_new(session, name, level, coder)
    # locked before it becomes exclusive: a coder's value in progress is waited for and then seen (see set_exclusive)
    parent = get_code(session, parent.id, lock=True)
    set_code_fields(session, parent, {"scale": measurement, "exclusive": True}, coder=coder)
    for value, number in zip(cleaned, numbers):
        child = _code_or_new(session, value_name(parent.name, value), level - 1, coder, parent)
        if child.parent_id != parent.id:
            raise Conflict(f"{child.name!r} already belongs to another code; pick other value names")
        set_code_fields(session, child, {"scale_value": number}, coder=coder)
    # a code already coded with several of its children: those statements would hold two values
    refuse_two_values(session, parent, f"making {parent.name!r} a scale")
    return parent


def _code_or_new(session: Session, name: str, level: int, coder: Coder | None, parent: Code | None = None) -> Code:
    """The scale's value under ``parent`` (names are unique per parent), or the scale itself by name."""
    if parent is not None:
        found = code_at(session, name, level, parent_id=parent.id)
    else:
        matches = matching_codes(session, name, level)
        if len(matches) > 1:
            raise ambiguous(session, name, matches)
        found = matches[0] if matches else None
    if found is not None:
        return found
    return create_code(session, name, level=level, parent=parent, coder=coder)


def set_exclusive(session: Session, code: Code, exclusive: bool = True, *, coder: Coder | None = None) -> Code:
    """Mark the children of ``code`` mutually exclusive; refused while a coder has two on one statement."""
    if not exclusive and code.scale:
        raise QcoderError(f"{code.name!r} is a scale; its values stay exclusive")
    if exclusive:
        # locked before looking: a coder's value in progress (which holds this code FOR SHARE, see
        # check_one_value) is waited for and seen; a coder who comes later waits and is then refused
        code = get_code(session, code.id, lock=True)
        clash = first_clash(session, code.id)
        if clash is not None:
            raise Conflict(
                f"{clash}, two of the codes under {code.name!r}; remove one before marking them exclusive "
                "(nothing was changed)"
            )
    return set_code_fields(session, code, {"exclusive": exclusive}, coder=coder)


def check_one_value(
    session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int, *, code: Code | None = None
) -> None:
    """Refuse coding a statement with a second value of an exclusive set or scale (same coder).

    ``code``: the code, if the caller has read it already (saves a query on every coding).
    """
    if code is None or code.id != code_id:
        code = session.get(Code, code_id)
    parent_id = code.parent_id if code is not None else None
    if parent_id is None or not sentence_ids:
        return
    # Read fresh and, on PostgreSQL, held FOR SHARE until the transaction ends: coders coding values
    # of one variable share it, but marking the codes exclusive (which locks the parent FOR UPDATE and
    # then looks for clashes) waits for this coding and sees it, or this coding waits for the marking
    # and then sees the parent exclusive; without it both read the state before the other and a
    # statement could end with two values of a variable marked exclusive.
    query = select(Code).where(Code.id == parent_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    parent = session.scalar(query)
    if parent is None or not (parent.exclusive or parent.scale):
        return
    if session.get_bind().dialect.name == "postgresql":
        # one coder's values of one variable are decided one at a time: a second session coding another
        # value of the same scale waits here, then sees the first value and is refused (SQLite: one writer)
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('qcoder.scale'), :key)"),
            {"key": (parent_id * 100_003 + coder_id) % 2_147_483_647},
        )
    siblings = select(Code.id).where(Code.parent_id == parent_id, Code.id != code_id)
    for start in range(0, len(sentence_ids), 500):
        chunk = list(sentence_ids[start : start + 500])
        hit = session.execute(
            select(Sentence.label, Code.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .where(Coding.coder_id == coder_id, Coding.sentence_id.in_(chunk), Coding.code_id.in_(siblings))
            .limit(1)
        ).first()
        if hit is not None:
            kind = "scale" if parent.scale else "set of exclusive codes"
            raise Conflict(
                f"statement {hit[0]} already has {short_name(parent.name, hit[1])!r} of the {kind} "
                f"{parent.name!r}; one value per statement: uncode it first (nothing was coded)"
            )


def variables(session: Session) -> list[Variable]:
    """Every exclusive set and scale with its values (scale values by number, others by name)."""
    parents = session.scalars(select(Code).where((Code.exclusive.is_(True)) | (Code.scale.is_not(None)))).all()
    found: list[Variable] = []
    for parent in sorted(parents, key=lambda c: (-c.level, c.name)):
        children = session.scalars(select(Code).where(Code.parent_id == parent.id)).all()
        if parent.scale:
            children = sorted(children, key=lambda c: (c.scale_value is None, c.scale_value or 0.0, c.id))
        else:
            children = sorted(children, key=lambda c: c.id)
        names = [short_name(parent.name, c.name) for c in children]
        numbers = [
            c.scale_value if c.scale_value is not None else float(i + 1) for i, c in enumerate(children)
        ]  # fmt: skip
        found.append(
            Variable(parent.id, parent.name, parent.level, parent.scale, tuple(c.id for c in children),
                     tuple(names), tuple(numbers))
        )  # fmt: skip
    return found


def find_scale_value(session: Session, scale: str, value: str) -> Code:
    """The value code of ``scale`` called ``value`` (``qcoder code ID --code SCALE --value VALUE``)."""
    parent = find_code(session, scale)
    if not parent.scale and not parent.exclusive:
        raise QcoderError(f"{parent.name!r} is not a scale; make it one with `qcoder scale {parent.name} --values …`")
    for child in session.scalars(select(Code).where(Code.parent_id == parent.id)):
        if short_name(parent.name, child.name) == value or child.name == value:
            return child
    raise QcoderError(f"{parent.name!r} has no value {value!r}")
