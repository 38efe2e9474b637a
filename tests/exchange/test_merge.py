"""Merging a colleague's copy: everything new comes over once, conflicts wait for a choice."""

from __future__ import annotations

import pytest
from exchange_helpers import build_rich_project, row_counts, snapshot
from factories import add_document
from sqlalchemy import delete, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code, find_code, move_code, rename_code, update_code
from qcoder.coding.codings import add_codings
from qcoder.coding.memos import add_memo
from qcoder.errors import QcoderError
from qcoder.exchange.merge import apply_merge, plan_merge
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence


def test_merge_into_an_empty_project_copies_everything(project: Project, second_project: Project) -> None:
    build_rich_project(second_project)
    plan = plan_merge(project, second_project)
    assert (len(plan.documents_new), len(plan.codes_new), plan.codings_new, plan.memos_new, plan.relations_new) == (
        2,
        6,
        5,
        5,
        2,
    )
    assert sorted(plan.coders_new) == ["alice", "bob"] and plan.reviews_new == 1 and not plan.conflicts
    apply_merge(project, second_project)
    assert snapshot(project) == snapshot(second_project)


def test_merging_twice_adds_nothing_the_second_time(project: Project, second_project: Project) -> None:
    build_rich_project(second_project)
    apply_merge(project, second_project)
    before = row_counts(project)
    again = plan_merge(project, second_project)
    assert again.adds_nothing and not again.conflicts and again.documents_matched == 2 and again.codes_matched == 6
    apply_merge(project, second_project)
    assert row_counts(project) == before  # not even an event


def test_copies_coded_separately_come_together(project: Project, second_project: Project) -> None:
    build_rich_project(project)
    apply_merge(second_project, project)  # bob takes a copy

    def bob_works(s) -> None:  # type: ignore[no-untyped-def]
        bob, carol = get_or_create_coder(s, "bob"), get_or_create_coder(s, "carol")
        code = create_code(s, "政策支持", level=0, coder=bob)
        sentences = list(s.scalars(select(Sentence).order_by(Sentence.label)))
        add_codings(s, [sentences[5].id], code.id, bob.id)
        add_codings(s, [sentences[0].id], find_code(s, "主体地位", 0).id, carol.id)
        add_memo(s, "bob 的想法", target="code", target_id=code.id, coder=bob)

    second_project.run(bob_works)
    plan = plan_merge(project, second_project)
    assert (plan.codes_new, plan.codings_new, plan.memos_new, plan.coders_new) == (
        ["政策支持 [level 0]"],
        2,
        1,
        ["carol"],
    )
    apply_merge(project, second_project)
    apply_merge(second_project, project)
    assert snapshot(project) == snapshot(second_project)


def test_documents_only_in_other_keep_their_label_when_free(project: Project, second_project: Project) -> None:
    add_document(project, ["我们自己的文档。"], name="ours")
    add_document(second_project, ["对方的文档。", "第二句。"], name="theirs")  # also D01 there
    plan = apply_merge(project, second_project)
    assert "OTHER's D01 (theirs) was added as D02" in plan.notes
    with project.session() as s:
        labels = list(
            s.scalars(select(Sentence.label).join(Document).where(Document.name == "theirs").order_by(Sentence.label))
        )
    assert labels == ["D02-S001", "D02-S002"]


def test_statements_split_differently_take_codings_by_overlap(project: Project, second_project: Project) -> None:
    statements = ["第一句。", "第二句。", "第三句。"]
    add_document(project, statements)
    add_document(second_project, statements)  # same text and label, hence the same digest

    def join_first_two(s) -> None:  # type: ignore[no-untyped-def]
        first, second = list(s.scalars(select(Sentence).order_by(Sentence.ordinal)))[:2]
        first.end, first.text = second.end, "第一句。\n第二句。"
        s.execute(delete(Sentence).where(Sentence.id == second.id))
        s.flush()
        add_codings(s, [first.id], create_code(s, "合并", level=0).id, get_or_create_coder(s, "dan").id)

    second_project.run(join_first_two)
    plan = apply_merge(project, second_project)
    assert plan.codings_new == 2 and any("split into statements differently" in n for n in plan.notes)
    assert [c[0] for c in snapshot(project)["codings"]] == ["D01-S001", "D01-S002"]


def _conflicting_copies(project: Project, second_project: Project) -> str:
    build_rich_project(project)
    apply_merge(second_project, project)

    def ours(s) -> None:  # type: ignore[no-untyped-def]
        code = find_code(s, "主体地位", 0)
        rename_code(s, code, "主体作用")
        update_code(s, code, definition="我们的定义")

    def theirs(s) -> None:  # type: ignore[no-untyped-def]
        code = find_code(s, "主体地位", 0)
        update_code(s, code, definition="他们的定义", colour="#00FF00")
        move_code(s, code, find_code(s, "创新环境", 1))

    project.run(ours)
    second_project.run(theirs)
    with project.session() as s:
        return find_code(s, "主体作用", 0).guid


def test_conflicts_are_listed_and_need_a_choice(project: Project, second_project: Project) -> None:
    guid = _conflicting_copies(project, second_project)
    plan = plan_merge(project, second_project)
    [conflict] = plan.conflicts
    assert conflict.key == guid and conflict.kind == "code"
    assert conflict.fields == {
        "name": ("主体作用", "主体地位"),
        "parent": ("企业主体", "创新环境"),
        "definition": ("我们的定义", "他们的定义"),
    }
    assert (
        plan.filled == ["colour of code '主体作用'"]
        and "  filled in from OTHER: colour of code '主体作用'" in plan.lines()
    )
    before = row_counts(project)
    with pytest.raises(QcoderError, match="1 conflict\\(s\\) need a choice"):
        apply_merge(project, second_project)
    with pytest.raises(QcoderError, match="no conflict 'nonsense'"):
        apply_merge(project, second_project, choices={"nonsense": "ours"})
    with pytest.raises(QcoderError, match="'ours' or 'theirs', not 'mine'"):
        apply_merge(project, second_project, prefer="mine")
    assert row_counts(project) == before


def test_prefer_ours_keeps_our_values_and_fills_only_gaps(project: Project, second_project: Project) -> None:
    guid = _conflicting_copies(project, second_project)
    apply_merge(project, second_project, prefer="ours")
    codes = {c[0]: c for c in snapshot(project)["codes"]}
    assert codes[guid][1] == "主体作用" and codes[guid][4] == "我们的定义"
    assert codes[guid][5] == "#00FF00"  # we had no colour: taken without asking
    assert [c.key for c in plan_merge(project, second_project).conflicts] == [guid]  # still different, still listed


@pytest.mark.parametrize("how", ["prefer", "choices"])
def test_taking_theirs_renames_moves_and_redefines(project: Project, second_project: Project, how: str) -> None:
    guid = _conflicting_copies(project, second_project)
    kwargs = {"prefer": "theirs"} if how == "prefer" else {"choices": {guid.upper(): "theirs"}}
    apply_merge(project, second_project, **kwargs)  # type: ignore[arg-type]
    mine = {c[0]: c for c in snapshot(project)["codes"]}
    theirs = {c[0]: c for c in snapshot(second_project)["codes"]}
    assert mine[guid] == theirs[guid]
    assert not plan_merge(project, second_project).conflicts


def test_merging_a_project_into_itself_is_refused(project: Project) -> None:
    with pytest.raises(QcoderError, match="OTHER is this very project"):
        plan_merge(project, project)


def test_quote_spans_come_along_in_a_merge(project: Project, second_project: Project) -> None:
    """A colleague's quote spans survive the merge: into an empty copy and into a matched document."""
    from qcoder.coding.codings import set_quote
    from qcoder.store.models import Code, Coder, Coding

    def quotes(p: Project) -> set[tuple[str, str, str, str | None]]:
        with p.session() as s:
            rows = s.execute(
                select(Sentence.label, Sentence.text, Code.name, Coder.name, Coding.quote_start, Coding.quote_end)
                .select_from(Coding)
                .join(Sentence, Sentence.id == Coding.sentence_id)
                .join(Code, Code.id == Coding.code_id)
                .join(Coder, Coder.id == Coding.coder_id)
            )
            return {(lab, code, who, None if a is None else text[a:b]) for lab, text, code, who, a, b in rows}

    build_rich_project(second_project)

    def quote_one(s) -> None:  # type: ignore[no-untyped-def]
        coding = s.scalars(select(Coding).order_by(Coding.id)).first()
        set_quote(s, coding.sentence_id, coding.code_id, coding.coder_id, (0, 2))

    second_project.run(quote_one)
    apply_merge(project, second_project)  # new documents: the quote comes along
    assert quotes(project) == quotes(second_project)
    assert sum(q[3] is not None for q in quotes(project)) == 1

    def carol_quotes(s) -> None:  # type: ignore[no-untyped-def]
        carol = get_or_create_coder(s, "carol")
        sentence = s.scalar(select(Sentence).where(Sentence.label == "D01-S002"))
        add_codings(s, [sentence.id], find_code(s, "主体地位", 0).id, carol.id, quotes={sentence.id: (1, 3)})

    second_project.run(carol_quotes)
    apply_merge(project, second_project)  # matched documents: carol's quote comes along too
    assert quotes(project) == quotes(second_project)
