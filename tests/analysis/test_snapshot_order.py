"""The snapshot's statement order and id look-ups equal plain SQL and dict look-ups."""

from __future__ import annotations

import random

import numpy as np
from factories import add_document
from sqlalchemy import select, text, update

from qcoder.analysis.snapshot import _positions, load_snapshot
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project
from qcoder.store.models import Sentence


def test_positions_equal_a_dict_for_dense_sparse_and_missing_ids() -> None:
    rng = random.Random(5)
    for ids in (
        rng.sample(range(1, 3_000), 2_000),  # dense: through the table
        rng.sample(range(1, 10**9), 2_000),  # sparse: by binary search
        [7],
    ):
        wanted = [rng.choice(ids) for _ in range(3_000)] + [-1, 0, max(ids) + 1, 2_999, 10**12]
        pos, ok = _positions(np.array(ids, dtype=np.int64), np.array(wanted, dtype=np.int64))
        index = {v: i for i, v in enumerate(ids)}
        assert ok.tolist() == [w in index for w in wanted]
        assert [int(p) for p, o in zip(pos, ok) if o] == [index[w] for w in wanted if w in index]
        assert pos.min() >= 0 and pos.max() < len(ids)  # missing ones still point inside


def test_statements_follow_document_order_not_id_order(project: Project) -> None:
    first = add_document(project, [f"甲{i}。" for i in range(12)])
    add_document(project, [f"乙{i}。" for i in range(8)])

    def reverse_first_document(session) -> None:  # type: ignore[no-untyped-def]
        # ordinals reversed in two steps (they are unique per document): ids now run against the order
        session.execute(update(Sentence).where(Sentence.document_id == first).values(ordinal=Sentence.ordinal + 100))
        session.execute(update(Sentence).where(Sentence.document_id == first).values(ordinal=113 - Sentence.ordinal))

    project.run(reverse_first_document)
    with project.session() as session:
        ids = list(session.scalars(select(Sentence.id).order_by(Sentence.id)))
    alice = Workbench(project, "alice")
    chosen = ids[1::3]
    code = alice.create_code("X", 0, code_sentences=chosen)
    with project.session() as session:
        expected = [
            row[0]
            for row in session.execute(
                text(
                    "SELECT id FROM sentences WHERE id IN (SELECT sentence_id FROM codings) ORDER BY document_id, ordinal"
                )
            )
        ]
        snap = load_snapshot(session)
        assert snap.coded_sentence_ids.tolist() == expected
        assert expected != sorted(expected)  # the order really differs from the ids'
        stats = snap.stats()
        index = next(c.index for c in snap.codes if c.id == code.id)
        assert int(stats.statements[index]) == len(chosen)
        assert int(stats.first_sentence[index]) == expected[0]
        assert stats.doc_matrix[index].tolist() == [
            sum(1 for s in chosen if s in ids[:12]),
            sum(1 for s in chosen if s in ids[12:]),
        ]
