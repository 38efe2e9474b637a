"""Code-tree changes racing colleagues' codings lose no acknowledged coding (both backends).

Issue 12: coder M merges SRC into TGT again and again while other coders keep coding
with SRC. On PostgreSQL the merge used to read SRC's codings, move them and delete SRC,
and the cascade deleted what a colleague committed in between (244 of 828 lost). Now
every acknowledged coding must be on the target afterwards, a coding that came too late
is refused with a clear message, and ``qcoder db check`` finds nothing missing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest
from factories import add_document
from sqlalchemy import delete, select

from qcoder.coding.codes import code_at
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.check import check_project
from qcoder.store.database import open_project
from qcoder.store.models import Coder, Coding

STATEMENTS = 400
MERGES = 25
CODERS = 3


def _race(
    db_url: str, change: Callable[[Workbench, int, int], None], figures: Callable[[str], None], what: str
) -> None:
    with open_project(db_url) as project:
        add_document(project, [f"第{i}条语句。" for i in range(STATEMENTS)])
        owner = Workbench(project, "M")
        target = owner.create_code("目标码").id

    acknowledged: list[tuple[int, str]] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()
    lock = threading.Lock()

    def coder(name: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            with open_project(db_url) as project:
                bench = Workbench(project, name)
                while not done.is_set():
                    source = project.run(lambda s: getattr(code_at(s, "源码", 0, parent_id=None), "id", None))
                    if source is None:
                        time.sleep(0.001)
                        continue
                    sentence = rng.randrange(1, STATEMENTS + 1)
                    try:
                        added = bench.code_statements([sentence], source)
                    except QcoderError as error:  # refused: not acknowledged, nothing to lose
                        assert "\n" not in str(error)
                        with lock:
                            refused.append(str(error))
                        continue
                    with lock:
                        acknowledged.extend((sid, name) for sid in added)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=coder, args=(f"coder{i}", i)) for i in range(CODERS)]
    for thread in threads:
        thread.start()
    try:
        with open_project(db_url) as project:
            merger = Workbench(project, "M")
            for _ in range(MERGES):
                source = merger.create_code("源码").id
                time.sleep(0.03)  # let the coders code with it
                change(merger, source, target)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors

    with open_project(db_url) as project:
        with project.session() as s:
            names = dict(s.execute(select(Coder.id, Coder.name)).all())
            on_target = {
                (sid, names[coder_id])
                for sid, coder_id in s.execute(
                    select(Coding.sentence_id, Coding.coder_id).where(Coding.code_id == target)
                )
            }
        lost = [pair for pair in acknowledged if pair not in on_target]
        figures(
            f"{what}: {len(acknowledged)} codings acknowledged during {MERGES} {what}s, {len(lost)} lost, "
            f"{len(refused)} refused with a message"
        )
        assert acknowledged, "the coders never got a coding in: the race was not exercised"
        assert lost == [], f"{len(lost)} acknowledged codings are not on the target, e.g. {lost[:5]}"
        assert check_project(project) == []


@pytest.mark.slow
def test_merging_while_colleagues_code_the_source_loses_nothing(db_url: str, figures: Callable[[str], None]) -> None:
    _race(db_url, lambda bench, source, target: bench.merge_codes(source, target) and None, figures, "merge")


@pytest.mark.slow
def test_undoing_and_redoing_merges_while_colleagues_code_loses_nothing(
    db_url: str, figures: Callable[[str], None]
) -> None:
    def merge_undo_redo(bench: Workbench, source: int, target: int) -> None:
        bench.merge_codes(source, target)
        bench.undo()  # the source is back with its codings: colleagues code it again
        time.sleep(0.01)
        bench.redo()

    _race(db_url, merge_undo_redo, figures, "merge-undo-redo")


def test_db_check_reports_an_acknowledged_coding_that_vanished(project) -> None:  # type: ignore[no-untyped-def]
    add_document(project, ["一。", "二。", "三。"])
    bench = Workbench(project, "王")
    code = bench.create_code("码", code_sentences=[1, 2, 3])
    bench.uncode_statements([3], code.id)  # a logged removal is not a loss
    other = bench.create_code("另一码", code_sentences=[1])
    bench.merge_codes(other.id, code.id)  # a logged merge moves, drops duplicates: not a loss
    assert check_project(project) == []
    project.run(lambda s: s.execute(delete(Coding).where(Coding.sentence_id == 2)))  # what the PG race did
    problems = [str(p) for p in check_project(project)]
    assert len(problems) == 1
    assert problems[0].startswith("lost: D01-S002 coded '码' by 王 (acknowledged")


@pytest.mark.slow
def test_splitting_and_deleting_while_colleagues_code_loses_nothing(
    db_url: str, figures: Callable[[str], None]
) -> None:
    """Split half of the source off, then merge both parts and delete an emptied code, while others code."""
    rounds = iter(range(10_000))

    def split_merge_delete(bench: Workbench, source: int, target: int) -> None:
        n = next(rounds)
        half = list(range(1, STATEMENTS // 2))
        part = bench.split_code(source, f"分出{n}", half).id
        bench.merge_codes(part, target)
        bench.merge_codes(source, target)
        empty = bench.create_code(f"空码{n}").id
        bench.delete_code(empty)

    _race(db_url, split_merge_delete, figures, "split-merge-delete")
