"""The exchange work the TUI runs in thread workers: export, preview, then apply.

Why a module of plain functions: each call opens its own session (or transaction) on the
project, so it is safe on a worker thread and testable without a screen. Imports and
merges come in two steps — a preview that changes nothing, then the apply the researcher
confirmed — the same two phases as the CLI's plan / ``--apply``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from qcoder.coding.coders import get_or_create_coder
from qcoder.exchange.codebook import CodebookPlan, apply_plan, plan_codebook_import, read_codebook, write_codebook
from qcoder.exchange.merge import MergePlan, apply_merge, plan_merge
from qcoder.exchange.package import Package, read_package
from qcoder.exchange.qdpx_export import project_name, write_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project, open_other_project
from qcoder.store.settings import Level, levels

FALLBACK_CODER = "imported"  # codings a .qdpx does not attribute to anyone (the CLI's default too)


def local_path(typed: str) -> Path:
    return Path(typed.strip()).expanduser()


def project_ref(typed: str) -> str:
    """A project file (``~`` expanded) or a database URL, as ``open_other_project`` takes it."""
    typed = typed.strip()
    return typed if "://" in typed else str(local_path(typed))


# ---------------------------------------------------------------------- export
def export_codebook_file(project: Project, path: Path) -> str:
    """Write the codebook (format from the suffix); returns the line to tell the researcher."""
    with project.session() as session:
        count = write_codebook(session, path)
    return f"wrote {count} codes to {path}"


def export_project_file(project: Project, path: Path, positions: str = "codepoints") -> str:
    with project.session() as session:
        summary = write_project(session, path, name=project_name(project.url), positions=positions)
    return f"wrote {path}: {summary.line()}"


# ---------------------------------------------------------------------- codebook import
@dataclass
class CodebookPreview:
    path: Path
    plan: CodebookPlan
    ladder: list[Level]

    def applies_anything(self) -> bool:
        return any(self.plan.count(kind) for kind in ("new", "renamed", "updated"))


def preview_codebook(project: Project, path: Path) -> CodebookPreview:
    """Parse the file and plan the import against the project; stores nothing."""
    parsed = read_codebook(path)
    with project.session() as session:
        return CodebookPreview(path, plan_codebook_import(session, parsed), levels(session))


def apply_codebook(project: Project, preview: CodebookPreview, coder_name: str) -> dict[str, int]:
    """Carry out the plan that was shown (a code changed since then stops it: nothing is stored)."""
    return project.run(lambda session: apply_plan(session, preview.plan, coder=get_or_create_coder(session, coder_name)))


# ---------------------------------------------------------------------- project import
@dataclass
class ProjectPreview:
    path: Path
    package: Package
    report: ImportReport


def preview_project(project: Project, path: Path) -> ProjectPreview:
    """A dry run: import in a transaction that is rolled back, to show what would come in."""
    package = read_package(path)
    with project.write_session_factory() as session:
        try:
            report = import_project(session, package, fallback_coder=FALLBACK_CODER)
        finally:
            session.rollback()
    return ProjectPreview(path, package, report)


def import_project_file(project: Project, preview: ProjectPreview) -> ImportReport:
    return project.run(lambda session: import_project(session, preview.package, fallback_coder=FALLBACK_CODER))


# ---------------------------------------------------------------------- merge
def preview_merge(project: Project, other: str) -> MergePlan:
    """What merging OTHER (a file or URL) would add, and the conflicts needing a choice."""
    with open_other_project(other) as theirs:
        plan = plan_merge(project, theirs)
        plan.notes += [f"OTHER: {notice}" for notice in theirs.notices]  # e.g. read through an upgraded copy
        return plan


def run_merge(project: Project, other: str, choices: Mapping[str, str]) -> MergePlan:
    with open_other_project(other) as theirs:
        return apply_merge(project, theirs, choices=choices)
