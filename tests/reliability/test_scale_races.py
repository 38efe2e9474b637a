"""One value per statement of a scale holds when the same coder codes from two places at once (both backends).

Issue 18 / the brief: every multi-step write is tested against a concurrent writer. Coding a scale value
reads the coder's other values of that scale and then inserts; two sessions (the workbench and a script)
giving 弱 and 强 to the same statements at the same moment must leave one value per statement, the other
attempt refused in one line — never both.
"""

from __future__ import annotations

import threading

from factories import add_document
from sqlalchemy import func, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.scales import make_scale
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding

STATEMENTS = 60


def test_two_sessions_of_one_coder_never_give_a_statement_two_values(db_url: str) -> None:
    with open_project(db_url) as project:
        add_document(project, [f"第{i}条语句。" for i in range(STATEMENTS)])
        project.run(lambda s: make_scale(s, "情绪强度", ["弱", "强"], coder=get_or_create_coder(s, "甲")))
        values = project.run(
            lambda s: {c.name: c.id for c in s.scalars(select(Code).where(Code.name.like("情绪强度=%")))}
        )
    assert len(values) == 2
    start = threading.Barrier(2)
    acknowledged: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def session(value_id: int, name: str) -> None:
        try:
            with open_project(db_url) as project:
                bench = Workbench(project, "甲")
                done: list[int] = []
                start.wait()
                for sentence in range(1, STATEMENTS + 1):
                    try:
                        done.extend(bench.code_statements([sentence], value_id))
                    except QcoderError as error:  # the other value came first: refused, nothing written
                        assert "one value per statement" in str(error) and "\n" not in str(error)
                acknowledged[name] = done
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=session, args=(vid, name)) for name, vid in values.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    with open_project(db_url) as project, project.session() as s:
        per_statement = s.execute(
            select(Coding.sentence_id, func.count())
            .where(Coding.code_id.in_(values.values()))
            .group_by(Coding.sentence_id)
        ).all()
    assert all(count == 1 for _sid, count in per_statement), "a statement got two values of one scale"
    assert len(per_statement) == STATEMENTS  # every statement got exactly one value
    assert sum(len(v) for v in acknowledged.values()) == STATEMENTS  # every acknowledged coding is there
