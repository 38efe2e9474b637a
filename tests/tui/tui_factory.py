"""Small SQLite projects for the TUI tests, built directly in the database (no pipeline)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, insert

from qcoder.coding.statements import document_label, statement_label
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project, open_project
from qcoder.store.models import Document, HistoryEntry, Sentence

DOC_ONE = [
    "一、研究意义",
    "“新基建”是指5G、人工智能、数据中心、工业互联网等科技创新领域基础设施。",
    "近两年，我国已在多个场合明确提出要加快“新基建”发展步伐。",
    "在新冠疫情影响下，黑龙江省一些传统行业受冲击较大。",
    "系统研究传统产业科技创新发展路径，短期内能够推动经济复苏。",
    "企业通过“揭榜挂帅”机制组织关键核心技术攻关。",
    "创新联合体由龙头企业牵头，高校和科研院所共同参与。",
    "政府引导基金为中小企业提供了融资支持。",
]
DOC_TWO = [
    "访谈对象认为人才是创新的第一资源。",
    "“揭榜挂帅”让真正有能力的团队承担项目。",
    "数据要素市场化配置改革仍然面临不少障碍。",
]


def add_document(project: Project, statements: Sequence[str], name: str) -> int:
    """A document whose text is the statements joined by newlines (spans index into it)."""
    text = "\n".join(statements)

    def work(session) -> int:  # type: ignore[no-untyped-def]
        number = session.query(Document).count() + 1
        label = document_label(number)
        doc = Document(
            label=label,
            name=name,
            sha256=hashlib.sha256(f"{label}{text}".encode()).hexdigest(),
            raw_bytes=text.encode(),
            encoding="utf-8",
            original_text=text,
            text=text,
        )
        session.add(doc)
        session.flush()
        rows, start = [], 0
        for ordinal, piece in enumerate(statements, start=1):
            rows.append(
                {
                    "document_id": doc.id,
                    "ordinal": ordinal,
                    "label": statement_label(label, ordinal),
                    "start": start,
                    "end": start + len(piece),
                    "text": piece,
                    "tokens": " ".join(piece),
                    "cell_width": 2 * len(piece),
                    "kind": "heading" if piece.startswith("一、") else "sentence",
                }
            )
            start += len(piece) + 1
        for first in range(0, len(rows), 2000):
            session.execute(insert(Sentence), rows[first : first + 2000])
        return doc.id

    return project.run(work)


def build_project(path: Path) -> Project:
    """Two documents, a few codes on three levels, a couple of codings by 小王."""
    project = open_project(str(path))
    add_document(project, DOC_ONE, "黑龙江新基建")
    add_document(project, DOC_TWO, "访谈A")
    bench = Workbench(project, "小王")
    policy = bench.create_code("政策支持", 2)
    innovation = bench.create_code("创新联合体", 0)
    bench.create_code("新基建", 0)
    bench.create_code("融资支持", 0)
    bench.create_code("人才", 1, parent_id=policy.id)
    statements = bench.statements(1)
    bench.code_statements([statements[6].id], innovation.id)
    # The prepared project is where the user starts: its setup is not their undo history.
    project.run(lambda s: s.execute(delete(HistoryEntry)))
    return project


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """The current screen as plain text (for asserting what the user sees)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Notifications shown so far."""
    return [notification.message for notification in app._notifications]


def run_async(test):  # type: ignore[no-untyped-def]
    """Run an async test function with asyncio (no async pytest plugin is installed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        return asyncio.run(test(*args, **kwargs))

    return wrapper
