"""Exchange as the faces run it: export, and for imports and merges a preview, then the apply.

Why one module for both faces: ``qcoder import-codebook``/``import-project``/``merge``
(plan, then ``--apply``) and the workbench's dialogs (preview, then confirm) must do
exactly the same work. Each call opens its own session (or transaction) on the project,
so it is safe on a worker thread and testable without a screen. A preview changes
nothing; an apply is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from qcoder.coding.coders import get_or_create_coder
from qcoder.exchange.codebook import (
    CodebookPlan,
    ParsedCodebook,
    apply_plan,
    plan_codebook_import,
    read_codebook,
    write_codebook,
)
from qcoder.exchange.codebook_write import qualcoder_merges
from qcoder.exchange.merge import MergePlan, apply_merge, plan_merge
from qcoder.exchange.package import Package, read_package
from qcoder.exchange.qdpx_export import ExportSummary, project_name, write_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project, open_other_project
from qcoder.store.settings import Level, levels

FALLBACK_CODER = "imported"  # codings a .qdpx does not attribute to anyone
Notices = Callable[[str], None]  # where the other project's notices go (the CLI: stderr)


def local_path(typed: str) -> Path:
    return Path(typed.strip()).expanduser()


def project_ref(typed: str) -> str:
    """A project file (``~`` expanded) or a database URL, as ``open_other_project`` takes it."""
    typed = typed.strip()
    return typed if "://" in typed else str(local_path(typed))


# ---------------------------------------------------------------------- export
def export_codebook(project: Project, path: Path, fmt: str | None = None) -> int:
    """Write the codebook (format from the suffix; ``fmt="taguette"`` for Taguette's CSV); the number of codes written."""
    with project.session() as session:
        return write_codebook(session, path, fmt)


def export_codebook_file(project: Project, path: Path, fmt: str | None = None) -> str:
    """``export_codebook``, and the line to tell the researcher (for QualCoder: the names it will fold)."""
    line = f"wrote {export_codebook(project, path, fmt)} codes to {path}"
    if fmt == "qualcoder":
        with project.session() as session:
            merges = qualcoder_merges(session)
        if merges:
            line += "; QualCoder keeps one of each name, so it folds " + ", ".join(merges)
    return line


def export_project(
    project: Project, path: Path, *, name: str | None = None, positions: str = "codepoints"
) -> ExportSummary:
    """Write the project as REFI-QDA ``.qdpx``; ``name`` defaults to the project file's."""
    with project.session() as session:
        return write_project(session, path, name=name or project_name(project.url), positions=positions)


def export_project_file(project: Project, path: Path, positions: str = "codepoints", *, name: str | None = None) -> str:
    """``export_project``, and the line to tell the researcher."""
    return f"wrote {path}: {export_project(project, path, name=name, positions=positions).line()}"


# ---------------------------------------------------------------------- codebook import
@dataclass
class CodebookPreview:
    path: Path
    plan: CodebookPlan
    ladder: list[Level]

    def applies_anything(self) -> bool:
        return any(self.plan.count(kind) for kind in ("new", "renamed", "updated"))

    def lines(self) -> list[str]:
        """The plan code by code, then its notes."""
        return [*self.plan.lines(self.ladder), *self.plan.notes]


def preview_codebook(
    project: Project, path: Path, parsed: ParsedCodebook | None = None, *, levels_mode: str | None = None
) -> CodebookPreview:
    """Parse the file (unless ``parsed`` already is it) and plan the import against the project; stores nothing.

    ``levels_mode``: ``auto`` or ``map`` for a tree deeper than the ladder (see ``plan_codebook_import``).
    """
    parsed = parsed if parsed is not None else read_codebook(path)
    with project.session() as session:
        return CodebookPreview(path, plan_codebook_import(session, parsed, levels_mode=levels_mode), levels(session))


def apply_codebook(project: Project, preview: CodebookPreview, coder_name: str | None) -> dict[str, int]:
    """Carry out the plan that was shown (a code changed since then stops it: nothing is stored).

    ``coder_name``: who is credited with the changes (None: nobody). Counts by kind.
    """
    return project.run(
        lambda session: apply_plan(
            session, preview.plan, coder=get_or_create_coder(session, coder_name) if coder_name else None
        )
    )


def import_codebook(
    project: Project,
    path: Path,
    coder_name: str | None,
    parsed: ParsedCodebook | None = None,
    *,
    levels_mode: str | None = None,
) -> CodebookPreview:
    """Plan and carry out the import in one transaction (no confirmation in between); the plan carried out."""
    parsed = parsed if parsed is not None else read_codebook(path)

    def work(session: Session) -> CodebookPreview:
        preview = CodebookPreview(path, plan_codebook_import(session, parsed, levels_mode=levels_mode), levels(session))
        apply_plan(session, preview.plan, coder=get_or_create_coder(session, coder_name) if coder_name else None)
        return preview

    return project.run(work)


# ---------------------------------------------------------------------- project import
@dataclass
class ProjectPreview:
    path: Path
    package: Package
    report: ImportReport
    fallback_coder: str = FALLBACK_CODER


def preview_project(
    project: Project,
    path: Path,
    package: Package | None = None,
    *,
    fallback_coder: str = FALLBACK_CODER,
    levels_mode: str | None = None,
) -> ProjectPreview:
    """A dry run: import in a transaction that is rolled back, to show what would come in."""
    package = package if package is not None else read_package(path)
    with project.write_session_factory() as session:
        try:
            report = import_project(session, package, fallback_coder=fallback_coder, levels_mode=levels_mode)
        finally:
            session.rollback()
    return ProjectPreview(path, package, report, fallback_coder)


def import_project_file(project: Project, preview: ProjectPreview) -> ImportReport:
    """Import what the preview showed, in one transaction."""
    return import_package(project, preview.package, fallback_coder=preview.fallback_coder)


def import_package(
    project: Project, package: Package, *, fallback_coder: str = FALLBACK_CODER, levels_mode: str | None = None
) -> ImportReport:
    """Import a read ``.qdpx``/``.qde`` in one transaction (the apply without a preview)."""
    return project.run(
        lambda session: import_project(session, package, fallback_coder=fallback_coder, levels_mode=levels_mode)
    )


# ---------------------------------------------------------------------- merge
def _other_notices(theirs: Project, notices: Notices | None) -> list[str]:
    """The other project's notices (e.g. read through an upgraded copy): told to ``notices`` at
    once, or returned to be added to the plan's notes."""
    lines = [f"OTHER: {notice}" for notice in theirs.notices]
    if notices is None:
        return lines
    for line in lines:
        notices(line)
    return []


def preview_merge(project: Project, other: str, *, notices: Notices | None = None) -> MergePlan:
    """What merging OTHER (a file or URL, only read) would add, and the conflicts needing a choice."""
    with open_other_project(other) as theirs:
        notes = _other_notices(theirs, notices)
        plan = plan_merge(project, theirs)
    plan.notes += notes
    return plan


def run_merge(
    project: Project,
    other: str,
    choices: Mapping[str, str],
    *,
    prefer: str | None = None,
    notices: Notices | None = None,
) -> MergePlan:
    """Merge OTHER into the project in one transaction; every conflict needs ``prefer`` or a choice."""
    with open_other_project(other) as theirs:
        notes = _other_notices(theirs, notices)
        plan = apply_merge(project, theirs, prefer=prefer, choices=choices)
    plan.notes += notes
    return plan
