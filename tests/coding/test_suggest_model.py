"""Code suggestions on the sample project: reproducible, one coder's data only, rejections remembered.

The demo project (five documents, 研究者A codes all five, 研究者B two) is built once with
``load_demo`` and copied for each test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, event, func, select

from qcoder.coding.coders import find_coder
from qcoder.coding.codings import add_codings
from qcoder.coding.similar import SimilarityIndex, similar_statements
from qcoder.coding.suggest_model import SuggestionModel, load_training, reject
from qcoder.coding.suggest_queue import SuggestionQueue
from qcoder.coding.suggest_run import run_as_coder
from qcoder.coding.workbench import Workbench
from qcoder.demo import load_demo
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Memo, Sentence, SuggestionRejection

A, B = "研究者A", "研究者B"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.qcoder.db"
    with open_project(str(path)) as project:
        load_demo(project)
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.qcoder.db"
    shutil.copy(demo_file, copy)
    return copy


def _uncoded_texts(path: Path, coder: str) -> tuple[list[int], list[str], list[str]]:
    with open_project(str(path)) as project, project.session() as session:
        coder_id = find_coder(session, coder).id
        coded = set(session.scalars(select(Coding.sentence_id).where(Coding.coder_id == coder_id)))
        rows = [r for r in session.execute(select(Sentence.id, Sentence.text, Sentence.tokens).order_by(Sentence.id))]
    rows = [r for r in rows if r[0] not in coded]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _train(path: Path, coder: str = A) -> SuggestionModel:
    with open_project(str(path)) as project, project.session() as session:
        return SuggestionModel().train(load_training(session, coder))


def test_two_runs_give_the_same_suggestions_and_words(demo: Path) -> None:
    _ids, texts, tokens = _uncoded_texts(demo, A)
    first, second = _train(demo), _train(demo)
    assert first.code_ids == second.code_ids and len(first.code_ids) >= 20
    assert np.array_equal(first.probabilities(texts, tokens), second.probabilities(texts, tokens))
    one = [first.suggest(t, k) for t, k in zip(texts[:40], tokens[:40])]
    two = [second.suggest(t, k) for t, k in zip(texts[:40], tokens[:40])]
    assert one == two
    confident = [s for found in one for s in found if s.probability >= 0.3]
    assert confident and all(s.words for s in confident)  # a confident suggestion says which words drove it


def test_a_model_of_coder_a_never_reads_coder_b(demo: Path) -> None:
    _ids, texts, tokens = _uncoded_texts(demo, A)
    before = _train(demo).probabilities(texts, tokens)
    statements: list[str] = []
    with open_project(str(demo)) as project:

        @event.listens_for(project.engine, "before_cursor_execute")
        def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        with project.session() as session:
            a_id = find_coder(session, A).id
            load_training(session, A)
    reads_of_others = [
        s
        for s in statements
        if any(table in s for table in ("FROM codings", "FROM document_reviews", "FROM suggestion_rejections"))
        and "coder_id = ?" not in s
    ]
    assert statements and not reads_of_others
    assert a_id
    # B's codings turned upside down: A's model does not change by a single bit
    with open_project(str(demo)) as project:

        def scramble(session) -> None:  # type: ignore[no-untyped-def]
            b_id = find_coder(session, B).id
            session.execute(delete(Coding).where(Coding.coder_id == b_id))
            codes = list(session.scalars(select(Code.id).where(Code.level == 0).order_by(Code.id)))
            ids = list(session.scalars(select(Sentence.id).order_by(Sentence.id)))
            for k, code in enumerate(codes):
                add_codings(session, ids[k::7], code, b_id)

        project.run(scramble)
    after = _train(demo).probabilities(texts, tokens)
    assert np.array_equal(before, after)


def test_a_rejection_is_remembered_never_offered_again_and_learned(demo: Path) -> None:
    with open_project(str(demo)) as project:
        bench = Workbench(project, A)
        queue = SuggestionQueue(bench).train()
        item = queue.items()[0]
        top = queue.suggestions(item)[0]
        before = queue.model.probabilities([item.text], [item.tokens])[0, queue.model.code_ids.index(top.code_id)]
        queue.reject(item, top)
        assert top.code_id not in [s.code_id for s in queue.suggestions(item)]
        with project.session() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(SuggestionRejection)
                .where(SuggestionRejection.coder_id == bench.coder_id)
            )
            assert stored == 1
            assert reject(session, item.sentence_id, top.code_id, bench.coder_id) is False  # remembered once
        again = SuggestionQueue(bench).train()  # a new session: still not offered, and learned as a negative
        assert top.code_id not in [s.code_id for s in again.suggestions(item, limit=40)]
        after = again.model.probabilities([item.text], [item.tokens])[0, again.model.code_ids.index(top.code_id)]
        assert after < before


def test_accept_is_one_undoable_coding_of_the_coder(demo: Path) -> None:
    with open_project(str(demo)) as project:
        bench = Workbench(project, A)
        queue = SuggestionQueue(bench).train()
        item = queue.items()[0]
        suggestion = queue.suggestions(item)[0]
        assert queue.accept(item, suggestion) == [item.sentence_id]
        with project.session() as session:
            assert session.scalar(
                select(Coding.id).where(
                    Coding.sentence_id == item.sentence_id,
                    Coding.code_id == suggestion.code_id,
                    Coding.coder_id == bench.coder_id,
                )
            )
        assert item.sentence_id not in [i.sentence_id for i in queue.items()]
        assert bench.undo()
        with project.session() as session:
            assert not session.scalar(
                select(Coding.id).where(Coding.sentence_id == item.sentence_id, Coding.coder_id == bench.coder_id)
            )


def test_least_certain_first_orders_by_distance_from_the_threshold(demo: Path) -> None:
    with open_project(str(demo)) as project:
        queue = SuggestionQueue(Workbench(project, A)).train()
        uncertain = queue.items("uncertain")
        gaps = [abs(item.best - queue.settings.threshold) for item in uncertain]
        assert gaps == sorted(gaps) and len(uncertain) > len(queue.items("reading"))
        assert all(item.best >= queue.settings.threshold for item in queue.items("reading"))


def test_model_as_coder_writes_only_its_own_codings_and_records_provenance(demo: Path) -> None:
    with open_project(str(demo)) as project:
        with project.session() as session:
            a_id = find_coder(session, A).id
            mine_before = sorted(
                session.execute(select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == a_id))
            )
        first = run_as_coder(project, A, "qcoder-model")
        assert first.codings > 0 and first.added == first.codings and first.documents == 5
        second = run_as_coder(project, A, "qcoder-model")
        assert (second.codings, second.added, second.removed) == (
            first.codings,
            0,
            0,
        )  # the same inputs, the same codings
        with project.session() as session:
            model_id = find_coder(session, "qcoder-model").id
            assert (
                session.scalar(select(func.count()).select_from(Coding).where(Coding.coder_id == model_id))
                == first.codings
            )
            mine_after = sorted(
                session.execute(select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == a_id))
            )
            assert mine_after == mine_before
            memos = list(
                session.scalars(select(Memo).where(Memo.type == "operational", Memo.title.contains("qcoder-model")))
            )
            assert len(memos) == 1  # the second, identical run is not recorded twice
            record = json.loads(memos[0].text.split("\n\n", 1)[1])
            assert record["random_seed"] == 20261203
            assert record["training_data_sha256"] == first.digest
            assert {"scikit-learn", "numpy", "scipy", "jieba"} <= set(record["library_versions"])
            assert record["settings"]["threshold"] == 0.3


def test_similar_statements_share_words_and_leave_the_statement_out(demo: Path) -> None:
    with open_project(str(demo)) as project, project.session() as session:
        label, _text, found = similar_statements(session, "D04-S017", limit=5)
        index = SimilarityIndex.build(session)
    assert label == "D04-S017" and len(found) == 5
    assert all(item.label != "D04-S017" for item in found)
    scores = [item.similarity for item in found]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.1
    assert any(word in found[0].text for word in ("创新", "融合", "深度", "攻关"))
    # a statement typed again word for word is its own best match
    target = index.row_of[found[0].sentence_id]
    best = index.nearest_text(index.texts[target], " ".join(list(index.texts[target])), limit=1)
    assert best[0][0] == found[0].sentence_id


def test_the_similarity_index_follows_new_statements(demo: Path) -> None:
    from factories import add_document

    with open_project(str(demo)) as project:
        with project.session() as session:
            text = similar_statements(session, "D04-S017", limit=1)[1]
        add_document(project, ["无关的一句话。", text], name="copy")
        with project.session() as session:
            found = similar_statements(session, "D04-S017", limit=1)[2]
    assert found[0].label == "D06-S002" and found[0].similarity > 0.5  # same characters; the factory splits words apart
