"""Everything the reports screen shows, computed in one read session (off the UI thread).

Why one loader: the analyses share one in-memory snapshot per session, so reading them
together costs one pass over the project (0.1–1 s on a big one) and gives figures that
agree with each other even while other coders keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcoder.analysis.frequencies import frequency_table
from qcoder.analysis.hierarchy import Hierarchy, hierarchy
from qcoder.analysis.saturation import HoldoutCheck, SaturationCurve, holdout_check, saturation
from qcoder.analysis.table import Table
from qcoder.analysis.tables import paper_tables
from qcoder.i18n import language
from qcoder.store.database import Project
from qcoder.store.settings import LANGUAGE_OVERRIDE

CATEGORY_LEVEL = 1  # the paper tables start at the categories (the CLI's default too)
CONCEPT_LEVEL = 0  # the saturation curve counts concepts


@dataclass
class ReportData:
    hierarchy: Hierarchy
    tables: list[Table]  # category, main category, relations, storyline
    frequencies: Table
    curve: SaturationCurve
    holdout: HoldoutCheck

    @property
    def language(self) -> str:
        return self.hierarchy.language


def load_report_data(project: Project, coder: str | None = None) -> ReportData:
    """Read the project once and compute the hierarchy, paper tables, frequencies and saturation."""
    with project.session() as session:
        session.info[LANGUAGE_OVERRIDE] = language()  # the reader's language, also for level and type names
        tree = hierarchy(session, coder=coder)

        top = max(len(tree.levels) - 1, 0)
        return ReportData(
            hierarchy=tree,
            tables=paper_tables(session, level=min(CATEGORY_LEVEL, top), coder=coder),
            frequencies=frequency_table(session, coder=coder),
            curve=saturation(session, level=CONCEPT_LEVEL, coder=coder),
            holdout=holdout_check(session, level=CONCEPT_LEVEL),
        )
