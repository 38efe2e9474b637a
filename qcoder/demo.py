"""The demo project: the sample corpus imported, so a newcomer sees real data at once."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from sqlalchemy import func, select

from qcoder.corpus.importer import import_path
from qcoder.errors import QcoderError
from qcoder.exchange.bundle import load_bundle
from qcoder.store.database import Project, shown_url
from qcoder.store.models import Code, Coder, Coding, Document, Sentence
from qcoder.store.settings import pipeline_options

_PACKAGE_DIR = Path(__file__).resolve().parent


def sample_corpus_dir() -> Path:
    """``sample_corpus/`` of a checkout, or the copy packed into the wheel."""
    for candidate in (_PACKAGE_DIR.parent / "sample_corpus", _PACKAGE_DIR / "_sample_corpus"):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    raise QcoderError("the sample corpus is missing from this installation; reinstall qcoder")


def demo_project_path() -> Path:
    return Path(platformdirs.user_data_dir("qcoder", appauthor=False)) / "demo.qcoder.db"


def sample_files() -> list[Path]:
    return sorted(sample_corpus_dir().glob("[0-9][0-9][0-9]_*.txt"))


def import_sample_corpus(project: Project) -> list[str]:
    """Import the five sample texts (already imported ones are skipped), as Simplified Chinese."""
    lines = []
    with project.session() as session:
        options = pipeline_options(session, to_simplified=True)
    for path in sample_files():
        result = import_path(project, path, options=options)
        if result.status == "imported":
            lines.append(f"imported {path.name} as {result.label}: {result.statements} statements")
    return lines


def load_demo(project: Project) -> list[str]:
    """The sample corpus plus its GT coding (33 → 19 → 6 → 1, two coders); returns a summary."""
    lines = import_sample_corpus(project)
    bundle = sample_corpus_dir() / "coding" / "sample_coding.json"
    if bundle.is_file():
        loaded = load_bundle(project, bundle)
        if loaded.changed:
            lines.extend(loaded.lines())
    lines.extend(project_summary(project))
    return lines


def project_summary(project: Project) -> list[str]:
    with project.session() as session:
        docs = session.scalar(select(func.count()).select_from(Document)) or 0
        statements = session.scalar(select(func.count()).select_from(Sentence)) or 0
        codes = session.scalar(select(func.count()).select_from(Code)) or 0
        codings = session.scalar(select(func.count()).select_from(Coding)) or 0
        coders = session.scalar(select(func.count()).select_from(Coder)) or 0
    return [
        f"project: {shown_url(project.url)}",
        f"{docs} documents, {statements} statements, {codes} codes, {codings} codings by {coders} coders",
    ]
