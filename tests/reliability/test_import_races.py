"""Two researchers importing many documents into one project at the same moment lose nothing (both backends).

Issue 14: an import reads the highest document label (D07) and writes the next ones. Two imports
storing at once on PostgreSQL both read D07 and both wrote D08; the second failed on the unique label
and the rest of its files were never imported. Now every document of both imports must be stored with
all its statements, labels unique, nothing twice; a file both of them bring is stored once and the
other import is told it is already there.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

from sqlalchemy import func, select

from qcoder.corpus.importer import ImportResult, prepare, store_prepared
from qcoder.corpus.types import PipelineOptions
from qcoder.errors import QcoderError
from qcoder.store.check import check_project
from qcoder.store.database import open_project
from qcoder.store.models import Document, Sentence

FILES = 12  # text files per writer
ROWS = 15  # spreadsheet rows per writer (each one document)


def _write_files(folder: Path, who: str) -> list[Path]:
    """Each writer's own texts (different bytes), one spreadsheet, and one file both writers bring."""
    folder.mkdir()
    paths = []
    for i in range(FILES):
        path = folder / f"{who}-{i:02d}.txt"
        lines = [f"{who}的第{i}份访谈，第{k}句：我们村里的合作社办得不错。" for k in range(i % 4 + 2)]
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    sheet = folder / f"{who}-answers.csv"
    with sheet.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["编号", "地区", "开放题"])
        for r in range(ROWS):
            writer.writerow([f"{who}{r:03d}", "成都", f"{who}第{r}位受访者说：社区食堂很方便。价格也不贵"])
    paths.append(sheet)
    shared = folder / "shared.txt"
    shared.write_text("两个人都带来了这份文件。它只应存一次。\n", encoding="utf-8")
    paths.append(shared)
    return paths


def test_two_imports_at_once_store_every_document_once(db_url: str, tmp_path: Path) -> None:
    options = PipelineOptions(text_columns=("开放题",), id_column="编号")
    with open_project(db_url) as project:  # a project with a document already in it
        seed = tmp_path / "seed.txt"
        seed.write_text("项目里已有的一份文件。\n", encoding="utf-8")
        project.run(lambda s: store_prepared(s, prepare(seed, options)))
    writers = {who: _write_files(tmp_path / who, who) for who in ("甲", "乙")}
    # the independent count: what each file gives when prepared alone, before any writer runs
    expected: dict[str, list[int]] = {}  # document name → statements per document
    for paths in writers.values():
        for path in paths:
            for processed in prepare(path, options).documents():
                expected.setdefault(processed.name or path.stem, []).append(len(processed.spans))
    start = threading.Barrier(len(writers))
    results: dict[str, list[ImportResult]] = {}
    refused: list[str] = []
    errors: list[BaseException] = []

    def writer(who: str, paths: list[Path]) -> None:
        try:
            with open_project(db_url) as project:
                prepared = [prepare(path, options) for path in paths]  # the slow part, outside the transaction
                start.wait()
                done = []
                for item in prepared:
                    try:
                        done.append(project.run(lambda s, item=item: store_prepared(s, item)))  # type: ignore[misc]
                    except QcoderError as error:  # refused: one clear line, nothing half-written
                        refused.append(str(error))
                results[who] = done
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=item) for item in writers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    assert refused == [], refused  # the lock makes the second writer wait, never fail
    with open_project(db_url) as project, project.session() as s:
        documents = s.execute(select(Document.id, Document.label, Document.name, Document.sha256)).all()
        per_document: dict[int, int] = dict(
            s.execute(select(Sentence.document_id, func.count()).group_by(Sentence.document_id)).all()
        )
        statement_labels = s.scalar(select(func.count(func.distinct(Sentence.label))))
        statements = s.scalar(select(func.count()).select_from(Sentence))
    # every file of each writer: 12 texts + 15 spreadsheet rows + the shared file (stored once) + the seed
    assert len(documents) == 2 * (FILES + ROWS) + 1 + 1 == 56
    labels = [label for _id, label, _name, _sha in documents]
    assert sorted(labels) == [f"D{n:02d}" for n in range(1, len(documents) + 1)]  # unique, no gaps
    assert len({sha for *_rest, sha in documents}) == len(documents)
    got: dict[str, list[int]] = {}
    for document_id, _label, name, _sha in documents:
        got.setdefault(name, []).append(per_document.get(document_id, 0))
    expected_shared = expected.pop("shared")
    assert len(expected_shared) == 2 and got.pop("shared") == expected_shared[:1]  # brought twice, stored once
    assert got.pop("seed") == [1]
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in expected.items()}
    assert statements == statement_labels == sum(per_document.values())  # statement labels unique too
    statuses = sorted(r.status for done in results.values() for r in done)
    assert statuses.count("duplicate") == 1 and statuses.count("imported") == 2 * (FILES + 1) + 1
    with open_project(db_url) as project:
        assert check_project(project) == []
