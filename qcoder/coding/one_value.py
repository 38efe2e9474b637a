"""One value per statement: whether a change to the code tree would give a statement two values of a set.

Why its own module: coding a value checks this one statement at a time
(``scales.check_one_value``), but changes to the tree move many codings at once — making a
code with coded children a scale, moving a coded code under an exclusive set, merging a code
into a value — and each of them must look at every statement it touches before it is
acknowledged, or a variable marked exclusive holds two values for a statement without a word
(and its agreement figures count one of them at random). ``codes`` and ``scales`` both use it.
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from qcoder.errors import Conflict
from qcoder.store.models import Code, Coder, Coding, Sentence


def holds_one_value(code: Code | None) -> bool:
    """Whether ``code``'s direct children are one variable (an exclusive set or a scale)."""
    return code is not None and bool(code.exclusive or code.scale)


def first_clash(session: Session, parent_id: int) -> str | None:
    """A statement where one coder has two of ``parent_id``'s children, as a phrase; None if there is none.

    "statement D01-S003 has both '支持' and '反对' from coder 'A'"
    """
    first, second = aliased(Coding), aliased(Coding)
    first_code, second_code = aliased(Code), aliased(Code)
    row = session.execute(
        select(Sentence.label, first_code.name, second_code.name, Coder.name)
        .select_from(first)
        .join(
            second,
            and_(
                second.sentence_id == first.sentence_id,
                second.coder_id == first.coder_id,
                second.code_id > first.code_id,
            ),
        )
        .join(first_code, first_code.id == first.code_id)
        .join(second_code, second_code.id == second.code_id)
        .join(Sentence, Sentence.id == first.sentence_id)
        .join(Coder, Coder.id == first.coder_id)
        .where(first_code.parent_id == parent_id, second_code.parent_id == parent_id)
        .order_by(Sentence.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    label, one, other, coder = row
    return f"statement {label} has both {one!r} and {other!r} from coder {coder!r}"


def refuse_two_values(session: Session, parent: Code | None, doing: str) -> None:
    """Refuse (one line; the caller's transaction is rolled back, so nothing changes) when ``doing``
    left a statement with two values of ``parent``'s set or scale. Call after the change, flushed."""
    if parent is None or not holds_one_value(parent):
        return
    session.flush()
    clash = first_clash(session, parent.id)
    if clash is not None:
        kind = "scale" if parent.scale else "set of exclusive codes"
        raise Conflict(
            f"{doing}: {clash}, two values of the {kind} {parent.name!r}; one value per statement — "
            "uncode one of them first (nothing was changed)"
        )


def refuse_two_values_under(session: Session, parent_id: int | None, doing: str) -> None:
    """``refuse_two_values`` for the code ``parent_id`` when it is a set or a scale, held first.

    Held FOR UPDATE on PostgreSQL: a coder coding one of its values holds it FOR SHARE
    (``scales.check_one_value``), so that coding is waited for and then seen, or waits for this
    change and is then refused; neither can slip past the other.
    """
    if parent_id is None or not holds_one_value(session.get(Code, parent_id)):
        return
    # locked and read again as ``codes.get_code(…, lock=True)`` does (that module imports this one)
    held = session.get(Code, parent_id, with_for_update=True, populate_existing=True)
    refuse_two_values(session, held, doing)
