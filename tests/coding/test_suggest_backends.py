"""Code suggestions on both backends: learn one coder, remember rejections, write the model coder.

Two documents about two themes: statements on innovation (创新, 研发, 技术) and on talent
(人才, 培养, 教育). 小王 codes them by theme; 小李 codes everything the other way round, so a
model that read 小李's codings would suggest the wrong code.
"""

from __future__ import annotations

import numpy as np
from factories import add_document
from sqlalchemy import func, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.suggest_model import SuggestionModel, load_training, reject
from qcoder.coding.suggest_run import run_as_coder
from qcoder.store.database import Project
from qcoder.store.models import Coding, Memo, Sentence, SuggestionRejection

INNOVATION = [
    "企业加大研发投入推动技术创新。",
    "技术创新依靠企业的研发团队。",
    "创新平台支持关键技术研发。",
    "研发经费用于技术创新项目。",
]
TALENT = [
    "高校加强人才培养和教育改革。",
    "人才培养需要教育体系支持。",
    "地方政府出台人才引进和培养政策。",
    "职业教育为产业培养技能人才。",
]


def _build(project: Project) -> dict[str, int]:
    docs = [add_document(project, INNOVATION[:2] + TALENT[:2]), add_document(project, INNOVATION[2:] + TALENT[2:])]

    def work(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
        wang, li = get_or_create_coder(session, "小王").id, get_or_create_coder(session, "小李").id
        innovation, talent = create_code(session, "技术创新").id, create_code(session, "人才培养").id
        by_text = {s.text: s.id for s in session.scalars(select(Sentence))}
        add_codings(session, [by_text[t] for t in INNOVATION], innovation, wang)
        add_codings(session, [by_text[t] for t in TALENT], talent, wang)
        add_codings(session, [by_text[t] for t in INNOVATION], talent, li)
        add_codings(session, [by_text[t] for t in TALENT], innovation, li)
        for doc in docs:
            mark_reviewed(session, doc, wang)
            mark_reviewed(session, doc, li)
        return {"wang": wang, "li": li, "innovation": innovation, "talent": talent}

    return project.run(work)


def test_one_coders_model_rejections_and_model_coder(project: Project) -> None:
    ids = _build(project)
    new = "企业技术创新需要更多研发人员。"
    with project.session() as session:
        model = SuggestionModel().train(load_training(session, "小王"))
    found = model.suggest(new, " ".join(new))
    assert found[0].code_name == "技术创新" and found[0].probability > found[1].probability
    assert any("创新" in word or "研发" in word for word in found[0].words), found[0].words

    first = project.session()
    try:
        sentence = first.scalar(select(Sentence.id).where(Sentence.text == TALENT[0]))
    finally:
        first.close()
    assert project.run(lambda s: reject(s, sentence, ids["innovation"], ids["wang"])) is True
    assert project.run(lambda s: reject(s, sentence, ids["innovation"], ids["wang"])) is False
    with project.session() as session:
        data = load_training(session, "小王")
        assert data.rejected == {sentence: frozenset({ids["innovation"]})}
        assert session.scalar(select(func.count()).select_from(SuggestionRejection)) == 1
        again = SuggestionModel().train(data)
    assert not np.array_equal(again.weights, model.weights)  # the rejection is learned

    done = run_as_coder(project, "小王", "qcoder-model")
    assert done.documents == 2 and done.statements == 8
    with project.session() as session:
        model_id = session.scalar(select(func.max(Coding.coder_id)))
        assert model_id not in (ids["wang"], ids["li"])
        assert (
            session.scalar(select(func.count()).select_from(Coding).where(Coding.coder_id == model_id)) == done.codings
        )
        assert session.scalar(select(func.count()).select_from(Coding).where(Coding.coder_id == ids["wang"])) == 8
        assert session.scalar(select(func.count()).select_from(Memo).where(Memo.type == "operational")) == 1
