"""A small, hand-countable grounded-theory project shared by the analysis tests.

Documents (statements): D01 coding (4), D02 coding (3), D03 holdout (2).

Hierarchy (level: 0 concept, 1 initial category, 2 main category, 3 core)::

    核心 (3)
    └── 主A (2)
        ├── 范畴1 (1) ── 概念a, 概念b
        ├── 范畴2 (1) ── 概念c
        └── 概念d (0)          ← skips the initial-category level
    概念e (0)                  ← no parent

Codings (coder: statements)::

    概念a  alice: D01-S1, D01-S2   bob: D01-S1
    概念b  alice: D01-S1
    概念c  alice: D02-S1           bob: D02-S2
    概念d                          bob: D02-S3
    概念e  alice: D01-S4

Hand counts: coded statements 6 of 9; 范畴1 = 2 (S1 once although a, b and two coders
coded it); 主A = 核心 = 5.
"""

from __future__ import annotations

from dataclasses import dataclass

from factories import add_document
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project
from qcoder.store.models import Sentence

D01 = ["企业是科技创新的主体。", "创新联合体整合创新资源。", "政府提供政策支持。", "高校培养创新人才。"]
D02 = ["市场需求牵引技术创新。", "关键核心技术需要突破。", "产学研协同创新深度融合。"]
D03 = ["新质生产力需要创新驱动。", "产业体系走向现代化。"]


@dataclass
class GT:
    project: Project
    alice: Workbench
    bob: Workbench
    ids: dict[str, int]  # code name → id
    s: dict[str, int]  # statement label → sentence id


def statement_ids(project: Project) -> dict[str, int]:
    with project.session() as session:
        return dict(session.execute(select(Sentence.label, Sentence.id)).all())  # type: ignore[arg-type]


def build_gt(project: Project) -> GT:
    add_document(project, D01, name="访谈一")
    add_document(project, D02, name="访谈二")
    add_document(project, D03, name="访谈三", role="holdout")
    s = statement_ids(project)
    alice, bob = Workbench(project, "alice"), Workbench(project, "bob")
    core = alice.create_code("核心", 3, definition="核心范畴的内涵")
    main = alice.create_code("主A", 2, parent_id=core.id, definition="主范畴A的内涵")
    cat1 = alice.create_code("范畴1", 1, parent_id=main.id, definition="范畴一的定义")
    cat2 = alice.create_code("范畴2", 1, parent_id=main.id, definition="范畴二的定义")
    a = alice.create_code("概念a", 0, parent_id=cat1.id, code_sentences=[s["D01-S001"], s["D01-S002"]])
    b = alice.create_code("概念b", 0, parent_id=cat1.id, code_sentences=[s["D01-S001"]])
    c = alice.create_code("概念c", 0, parent_id=cat2.id, code_sentences=[s["D02-S001"]])
    d = bob.create_code("概念d", 0, parent_id=main.id, code_sentences=[s["D02-S003"]])
    e = alice.create_code("概念e", 0, code_sentences=[s["D01-S004"]])
    bob.code_statements([s["D01-S001"]], a.id)
    bob.code_statements([s["D02-S002"]], c.id)
    ids = {code.name: code.id for code in (core, main, cat1, cat2, a, b, c, d, e)}
    return GT(project, alice, bob, ids, s)
