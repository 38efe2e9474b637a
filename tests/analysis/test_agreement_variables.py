"""Scale codes and sets of exclusive codes in a project (SQLite and PostgreSQL).

A scale 强度 (弱 / 中 / 强, ordinal) and an exclusive set 立场 (支持 / 反对 / 中立); two
coders review one document of 8 statements. Expected figures come from the values each
coder gave, fed to the statistics directly and to the ``krippendorff`` package.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from factories import add_document

from qcoder.analysis.agreement import AgreementRequest, agreement_report
from qcoder.analysis.agreement_output import render_report
from qcoder.analysis.agreement_stats import cohen_kappa
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.scales import find_scale_value, make_scale, set_exclusive, variables
from qcoder.errors import Conflict
from qcoder.store.database import Project
from qcoder.store.models import Code, Sentence
from qcoder.store.settings import set_setting

nan = np.nan
# values per statement (None: no value); 强度 positions 1..3
A_SCALE = [1, 2, 3, 3, 2, None, 1, 3]
B_SCALE = [1, 3, 3, 2, 2, 1, 1, 3]
A_STANCE = ["支持", "支持", "反对", "中立", None, "支持", "反对", "支持"]
B_STANCE = ["支持", "反对", "反对", "中立", "支持", "支持", "中立", "支持"]


def build(project: Project) -> None:
    doc = add_document(project, [f"第{i}句" for i in range(48)], name="访谈")  # 40 left uncoded

    def work(session) -> None:  # type: ignore[no-untyped-def]
        set_setting(session, "language", "en")
        coders = {n: get_or_create_coder(session, n).id for n in "AB"}
        make_scale(session, "强度", ["弱", "中", "强"], "ordinal", level=1)
        stance = create_code(session, "立场", level=1)
        for name in ("支持", "反对", "中立"):
            create_code(session, name, level=0, parent=stance)
        set_exclusive(session, stance)
        ids = [s.id for s in session.query(Sentence).filter_by(document_id=doc).order_by(Sentence.ordinal)]
        names = ["弱", "中", "强"]
        for coder, scale, stance_values in (("A", A_SCALE, A_STANCE), ("B", B_SCALE, B_STANCE)):
            mark_reviewed(session, doc, coders[coder])
            for sid, value, st in zip(ids, scale, stance_values):
                if value is not None:
                    add_codings(session, [sid], find_scale_value(session, "强度", names[value - 1]).id, coders[coder])
                if st is not None:
                    code_id = session.query(Code.id).filter_by(name=st).scalar()
                    add_codings(session, [sid], code_id, coders[coder])

    project.run(work)


def _values(xs: list) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([nan if v is None else float(v) for v in xs])


def test_scale_and_exclusive_set_are_read_as_variables(project: Project) -> None:
    build(project)
    with project.session() as session:
        found = {v.name: v for v in variables(session)}
        assert found["强度"].value_names == ("弱", "中", "强") and found["强度"].scale == "ordinal"
        assert found["立场"].scale is None and found["立场"].value_names == ("支持", "反对", "中立")
        report = agreement_report(session, AgreementRequest(coders=("A", "B"), level=0))
    by_name = {v.name: v for v in report.variables}
    scale = by_name["强度"]
    x = np.vstack([_values(A_SCALE + [None] * 40), _values(B_SCALE + [None] * 40)])
    assert scale.alpha_level.value == pytest.approx(
        krippendorff.alpha(reliability_data=x, level_of_measurement="ordinal"), abs=1e-12
    )
    assert scale.alpha_nominal.value == pytest.approx(
        krippendorff.alpha(reliability_data=x, level_of_measurement="nominal"), abs=1e-12
    )
    assert scale.kappa[(0, 1)].value == pytest.approx(cohen_kappa(x[0], x[1]).value)
    assert scale.weighted_linear[(0, 1)].n_units == 7  # statement 6 has no value by A
    assert scale.distribution == {"A": (2, 2, 3), "B": (3, 2, 3)}
    stance = by_name["立场"]
    index = {"支持": 1.0, "反对": 2.0, "中立": 3.0}
    y = np.array([[nan if v is None else index[v] for v in coder + [None] * 40] for coder in (A_STANCE, B_STANCE)])
    assert stance.alpha_nominal.value == pytest.approx(
        krippendorff.alpha(reliability_data=y, level_of_measurement="nominal"), abs=1e-12
    )
    assert stance.weighted_linear == {}  # nominal: no weighted kappa
    # read code by code, the zeros of every other category inflate agreement: the report says so
    assert stance.pooled_children.value is not None
    assert stance.pooled_children.value > (stance.alpha_nominal.value or 0) + 0.05
    text = render_report(report, "text")
    assert isinstance(text, str)
    assert "Agreement on categorical variables and scales" in text and "Value distributions" in text
    assert "does not measure agreement on the categories" in text
    assert "weighted kappa (Cohen, 1968)" in report.method


def test_a_second_value_is_refused_and_nothing_changes(project: Project) -> None:
    build(project)

    def again(session) -> None:  # type: ignore[no-untyped-def]
        first = session.query(Sentence).order_by(Sentence.id).first()
        coder = get_or_create_coder(session, "A").id
        add_codings(session, [first.id], find_scale_value(session, "强度", "强").id, coder)

    with pytest.raises(Conflict, match="one value per statement"):
        project.run(again)

    def clash(session) -> None:  # type: ignore[no-untyped-def]
        set_exclusive(session, session.query(Code).filter_by(name="立场").one(), False)
        first = session.query(Sentence).order_by(Sentence.id).first()
        add_codings(
            session,
            [first.id],
            session.query(Code.id).filter_by(name="反对").scalar(),
            get_or_create_coder(session, "A").id,
        )
        set_exclusive(session, session.query(Code).filter_by(name="立场").one())

    with pytest.raises(Conflict, match="remove one before marking them exclusive"):
        project.run(clash)
    with project.session() as session:
        report = agreement_report(session, AgreementRequest(coders=("A", "B"), level=0))
    assert {v.name: v.conflicts for v in report.variables}["立场"] == 0  # the failed change left nothing
