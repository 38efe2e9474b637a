"""Reports: one name per analysis, rendered in any supported format.

``write_report("hierarchy", project, "docx", "tables.docx")`` is what the CLI (and later the
TUI) calls. All analyses of one report read the project once (one snapshot per session).

Kinds and their formats:

* hierarchy, tables, frequencies, matrix, cooccurrence, words — text, md, csv, json, xlsx, docx
* saturation — the same, plus svg and png (the curve); text output ends with a text plot
* diagram — mermaid, dot, or md (a Markdown page with a ``mermaid`` block)

``level`` picks the level an analysis works on (rank, key or name: ``0``, ``concept``, 概念);
defaults: tables 1 (categories with their concepts), frequencies all codes, the others 0.
``coder`` restricts the counts to one coder's codings.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from qcoder.analysis.table import Table
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.settings import LANGUAGE_OVERRIDE, resolve_level

KINDS = ("hierarchy", "tables", "frequencies", "matrix", "cooccurrence", "saturation", "words", "diagram")
TABLE_FORMATS = ("text", "md", "csv", "json", "xlsx", "docx")
FORMATS: dict[str, tuple[str, ...]] = {kind: TABLE_FORMATS for kind in KINDS}
FORMATS["saturation"] = (*TABLE_FORMATS, "svg", "png")
FORMATS["diagram"] = ("mermaid", "dot", "md")
BINARY = ("xlsx", "docx", "png")
EXTENSIONS = {
    "txt": "text",
    "text": "text",
    "md": "md",
    "csv": "csv",
    "json": "json",
    "xlsx": "xlsx",
    "docx": "docx",
    "svg": "svg",
    "png": "png",
    "mmd": "mermaid",
    "mermaid": "mermaid",
    "dot": "dot",
    "gv": "dot",
}


def default_format(kind: str) -> str:
    return "mermaid" if kind == "diagram" else "text"


def format_for_path(path: str | Path | None) -> str | None:
    """The format a file name asks for (``out.xlsx`` → xlsx), if any."""
    if path is None:
        return None
    return EXTENSIONS.get(Path(path).suffix.lower().lstrip("."))


def check(kind: str, fmt: str) -> None:
    if kind not in KINDS:
        raise QcoderError(f"unknown report {kind!r}; use one of: {', '.join(KINDS)}")
    if fmt not in FORMATS[kind]:
        raise QcoderError(f"report {kind} cannot be written as {fmt!r}; use one of: {', '.join(FORMATS[kind])}")


def _rank(session: Session, level: int | str | None, default: int | None) -> int | None:
    return default if level is None else resolve_level(session, level).rank


def build_report(
    kind: str,
    session: Session,
    *,
    coder: str | None = None,
    level: int | str | None = None,
    by: str | None = None,
) -> list[Table]:
    """The tables of a report (every kind but ``diagram``, which is a picture, not tables).

    ``by`` (matrix only): codes by a statement attribute (``speaker``) or a document attribute
    (``attr:性别``) instead of by document; see `attribute_matrix`."""
    check(kind, "text" if kind != "diagram" else "mermaid")
    if by is not None:
        if kind != "matrix":
            raise QcoderError(f"--by works with the matrix report, not with {kind}")
        from qcoder.analysis.attribute_matrix import attribute_tables

        return attribute_tables(session, by, level=_rank(session, level, 0), coder=coder)
    # each kind imports only its own analysis: ``qcoder report KIND`` is a process of its own
    if kind == "hierarchy":
        from qcoder.analysis import hierarchy

        return hierarchy.hierarchy_tables(session, coder=coder)
    if kind == "tables":
        from qcoder.analysis import tables

        return tables.paper_tables(session, level=_rank(session, level, 1) or 0, coder=coder)
    if kind in ("frequencies", "matrix", "cooccurrence"):
        from qcoder.analysis import frequencies

        if kind == "frequencies":
            return [frequencies.frequency_table(session, level=_rank(session, level, None), coder=coder)]
        if kind == "matrix":
            return [frequencies.matrix_table(session, level=_rank(session, level, 0), coder=coder)]
        return [frequencies.cooccurrence_table(session, level=_rank(session, level, 0), coder=coder)]
    if kind == "saturation":
        from qcoder.analysis import saturation

        return saturation.saturation_tables(session, level=_rank(session, level, 0) or 0, coder=coder)
    if kind == "words":
        from qcoder.analysis import words

        return [words.words_table(session, level=_rank(session, level, 0), coder=coder)]
    raise QcoderError("the diagram report is a picture: use render_report with mermaid, dot or md")


def render_report(
    kind: str,
    session: Session,
    fmt: str,
    *,
    coder: str | None = None,
    level: int | str | None = None,
    by: str | None = None,
) -> str | bytes:
    """The report as text (str) or a file's bytes (xlsx, docx, png)."""
    from qcoder.analysis import plots
    from qcoder.analysis.writers import render

    check(kind, fmt)
    if kind == "diagram":
        from qcoder.analysis import hierarchy

        if fmt == "dot":
            return hierarchy.dot(session, coder=coder)
        chart = hierarchy.mermaid(session, coder=coder)
        if fmt == "md":
            h = hierarchy.hierarchy(session, coder=coder)
            return f"### {h.chain()}\n\n```mermaid\n{chart}```\n"
        return chart
    if kind == "saturation" and fmt in ("svg", "png"):
        from qcoder.analysis import saturation

        curve = saturation.saturation(session, level=_rank(session, level, 0) or 0, coder=coder)
        from qcoder.analysis.figures import draw_saturation

        return draw_saturation(curve, fmt)
    content = render(build_report(kind, session, coder=coder, level=level, by=by), fmt)
    if kind == "saturation" and fmt == "text" and isinstance(content, str):  # text formats render as str
        from qcoder.analysis import saturation

        curve = saturation.saturation(session, level=_rank(session, level, 0) or 0, coder=coder)
        content = f"{content}\n" + "\n".join(plots.text_plot(curve)) + "\n"
    return content


def write_report(
    kind: str,
    project: Project,
    fmt: str | None = None,
    out_path: str | Path | None = None,
    *,
    coder: str | None = None,
    level: int | str | None = None,
    by: str | None = None,
    language: str | None = None,
) -> str | bytes | Path:
    """Render a report; with ``out_path`` write it there and return the path, else return it.

    ``language``: write it in this language instead of the project's (the workbench's interface language).

    Without ``fmt`` the format follows the file name (``report.xlsx``), else the kind's default.
    """
    from qcoder.analysis.writers import write_file

    fmt = fmt or format_for_path(out_path) or default_format(kind)
    check(kind, fmt)
    with project.session() as session:
        if language:
            session.info[LANGUAGE_OVERRIDE] = language
        content = render_report(kind, session, fmt, coder=coder, level=level, by=by)
    if out_path is None:
        return content
    return write_file(content, Path(out_path), fmt)
