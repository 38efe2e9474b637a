"""``qcoder scale``, ``qcoder exclusive`` and ``qcoder code --value`` as a researcher types them."""

from __future__ import annotations

import json
from pathlib import Path

from factories import add_document, qc

from qcoder.store.database import open_project


def test_scale_coding_refuses_a_second_value_and_agree_reports_it(tmp_path: Path) -> None:
    db = str(tmp_path / "scale.qcoder")
    with open_project(db) as project:
        add_document(project, ["一", "二", "三", "四"])
    code, out, err = qc("scale", "情绪强度", "--values", "弱,中,强", "--db", db)
    assert code == 0 and "弱 (1), 中 (2), 强 (3)" in out, err
    for coder, values in (("小王", ["弱", "中", "强", "强"]), ("小李", ["弱", "强", "强", "中"])):
        for n, value in enumerate(values, start=1):
            code, out, err = qc(
                "code", f"D01-S00{n}", "--code", "情绪强度", "--value", value, "--coder", coder, "--db", db
            )
            assert code == 0, err
        assert qc("review", "D01", "--coder", coder, "--db", db)[0] == 0
    code, out, err = qc("code", "D01-S001", "--code", "情绪强度", "--value", "强", "--coder", "小王", "--db", db)
    assert code == 1 and "one value per statement" in err and "Traceback" not in err
    code, out, err = qc("agree", "--db", db, "--coders", "小王,小李", "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    (scale,) = payload["variables"]
    assert scale["name"] == "情绪强度" and scale["level"] == "ordinal"
    assert scale["distribution"] == {"小王": [1, 1, 2], "小李": [1, 1, 2]}
    assert scale["weighted_kappa_linear"]["小王–小李"]["n_units"] == 4
    code, out, err = qc("exclusive", "情绪强度", "--off", "--db", db)
    assert code == 1 and "is a scale" in err
