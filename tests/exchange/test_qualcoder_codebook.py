"""``qcoder export codebook --format qualcoder`` read the way QualCoder's own codebook import reads it.

QualCoder itself is not run here: it is not published on PyPI (``pip download qualcoder`` finds
no distribution) and needs PyQt6 and a display. So ``qualcoder_import_codes`` below follows the
importer's observed rules, read in ccbogel/QualCoder ``src/qualcoder/helpers.py``, class
``ImportPlainTextCodes`` (commit 06db5fabd264bff558245c9596a054e279d7a668; the menu entry is
``import_plain_text_codes`` in ``__main__.py``), into its tables as QualCoder creates them
(``__main__.py``, new project: ``code_cat`` and ``code_name``, each ``unique(name)``):

* the file is opened as ``UTF-8-sig``; a name ending in ``.csv`` is read with ``csv.reader``,
  delimiter ``,``, ``QUOTE_MINIMAL``; there is no header row (every row is a code) and an empty
  row stops the import (``row[0]`` of an empty row raises);
* pass 1, categories: a first cell with ``>>`` is split on ``>>``; every segment but the last is
  a category (stripped), inserted with an empty memo and the ``catid`` of the segment before it
  (looked up by name) as ``supercatid``; a name already there raises IntegrityError and is skipped;
* pass 2, codes: the last segment (stripped) is the code, the second-to-last (stripped) names its
  category (looked up by name), the second cell is its memo as it stands; a code name already
  there is "Duplicate code not imported".

The REFI-QDA codebook (``.qdc``) is checked the same way against ``refi.py``
(``qualcoder_import_qdc``): the newest QualCoder reads qcoder's tree of codable codes as codes
with sub-codes and keeps each definition as the code's memo.
"""

from __future__ import annotations

import contextlib
import csv
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from exchange_helpers import build_rich_project
from factories import qc
from sqlalchemy import select

from qcoder.coding.codes import create_code
from qcoder.exchange.codebook_write import export_csv, export_qualcoder_csv
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code

QUALCODER_TABLES = (
    "CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text, "
    "supercatid integer, unique(name))",
    "CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text,"
    "date text, color text, unique(name))",
)


def qualcoder_import_codes(path: Path) -> sqlite3.Connection:
    """A new QualCoder project's code tables after its codebook import read ``path`` (rules above)."""
    conn = sqlite3.connect(":memory:")
    for statement in QUALCODER_TABLES:
        conn.execute(statement)
    with open(path, encoding="UTF-8-sig") as file_:
        reader = csv.reader(file_, delimiter="," if path.suffix.lower() == ".csv" else "\t")
        rows = list(reader)

    def catid(name: str) -> int | None:
        found = conn.execute("select catid from code_cat where name=?", [name]).fetchone()
        return found[0] if found else None

    for row in rows:
        parts = row[0].split(">>")
        if len(parts) < 2 or parts[0] == "":
            continue
        for i, category in enumerate(parts[:-1]):
            parent = catid(parts[i - 1].strip()) if i >= 1 else None
            with contextlib.suppress(sqlite3.IntegrityError):  # a category of that name is there already
                conn.execute(
                    "insert into code_cat (name, memo, supercatid) values (?, '', ?)", [category.strip(), parent]
                )
    for row in rows:
        memo = row[1] if len(row) > 1 else ""
        name, category = row[0].strip(), None
        if ">>" in name:
            name, category = row[0].split(">>")[-1].strip(), row[0].split(">>")[-2].strip()
        if name == "":
            continue
        with contextlib.suppress(sqlite3.IntegrityError):  # "Duplicate code not imported"
            conn.execute(
                "insert into code_name (name, memo, catid) values (?, ?, ?)",
                [name, memo, catid(category) if category else None],
            )
    return conn


def qualcoder_tree(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """QualCoder's codes as category path (``a/b``) + code name → memo, and categories as ``a/b/``."""
    cats = {cid: (name, sup) for cid, name, sup in conn.execute("select catid, name, supercatid from code_cat")}

    def path(catid: int | None) -> str:
        names: list[str] = []
        while catid is not None:
            name, catid = cats[catid]
            names.append(name)
        return "".join(f"{n}/" for n in reversed(names))

    tree = {path(catid): ("category", "") for catid in cats}
    for name, memo, catid in conn.execute("select name, memo, catid from code_name"):
        tree[path(catid) + name] = ("code", memo)
    return tree


@pytest.fixture
def tree_db(tmp_path: Path) -> str:
    """A grounded-theory tree with unique names: 4 levels, 7 codes, definitions with commas, quotes, a newline and emoji."""
    db = str(tmp_path / "tree.qcoder.db")
    with open_project(db) as project:

        def build(s) -> None:  # type: ignore[no-untyped-def]
            core = create_code(s, "创新联合体赋能新质生产力", level=3, definition="核心范畴, 统领全部")
            main = create_code(s, "创新环境", level=2, parent=core, definition='政策与"市场"环境')
            initial = create_code(s, "企业主体", level=1, parent=main)
            create_code(s, "主体地位", level=0, parent=initial, definition="企业的主体作用\n第二行 🚀")
            create_code(s, "研发投入", level=0, parent=initial, definition="")
            create_code(s, "=成本", level=0, parent=initial, definition="looks like a formula")
            create_code(s, "成果转化", level=0, definition="单独的概念")

        project.run(build)
    return db


def test_qualcoder_reads_every_code_of_the_qualcoder_csv_with_its_tree_and_definition(
    tree_db: str, tmp_path: Path
) -> None:
    target = tmp_path / "codes.csv"
    code, out, err = qc("export", "codebook", "--db", tree_db, "--format", "qualcoder", "-o", str(target))
    assert (code, err) == (0, "")
    assert out.strip() == f"wrote 7 codes to {target}"  # unique names: nothing folded, nothing said
    tree = qualcoder_tree(qualcoder_import_codes(target))
    core, main, initial = "创新联合体赋能新质生产力", "创新环境", "企业主体"
    assert tree == {
        f"{core}/": ("category", ""),
        f"{core}/{main}/": ("category", ""),
        f"{core}/{main}/{initial}/": ("category", ""),
        # a code with children: the category its children sit in, and a code inside it with its definition
        f"{core}/{core}": ("code", "核心范畴, 统领全部"),
        f"{core}/{main}/{main}": ("code", '政策与"市场"环境'),
        f"{core}/{main}/{initial}/{initial}": ("code", ""),
        f"{core}/{main}/{initial}/主体地位": ("code", "企业的主体作用\n第二行 🚀"),
        f"{core}/{main}/{initial}/研发投入": ("code", ""),
        f"{core}/{main}/{initial}/=成本": ("code", "looks like a formula"),  # no apostrophe added
        "成果转化": ("code", "单独的概念"),
    }
    # independent count: every qcoder code is one QualCoder code, none lost, none invented
    with open_project(tree_db) as project, project.session() as s:
        names = set(s.scalars(select(Code.name)))
    assert {key.rsplit("/", 1)[-1] for key, (kind, _) in tree.items() if kind == "code"} == names


def test_qcoders_own_csv_is_not_what_qualcoder_reads(tree_db: str, tmp_path: Path) -> None:
    """Why the format exists: QualCoder takes qcoder's header row as a code and every row as a top-level code."""
    target = tmp_path / "own.csv"
    with open_project(tree_db) as project, project.session() as s:
        target.write_bytes(export_csv(s))
    tree = qualcoder_tree(qualcoder_import_codes(target))
    assert "name" in tree and not any(kind == "category" for kind, _ in tree.values())


def test_qualcoder_csv_names_the_names_qualcoder_folds(tmp_path: Path) -> None:
    db = str(tmp_path / "rich.qcoder.db")
    with open_project(db) as project:
        build_rich_project(project)  # 创新环境 twice: a level-2 parent and a level-1 code on its own
    target = tmp_path / "codes.csv"
    code, out, _ = qc("export", "codebook", "--db", db, "--format", "qualcoder", "-o", str(target))
    assert code == 0
    assert out.strip() == (
        f"wrote 6 codes to {target}; QualCoder keeps one of each name, so it folds code '创新环境' ×2"
    )
    tree = qualcoder_tree(qualcoder_import_codes(target))
    assert [key for key, (kind, _) in tree.items() if kind == "code" and key.endswith("创新环境")] == [
        "创新联合体赋能新质生产力/创新环境/创新环境"  # the first one written; the other is "not imported"
    ]


@pytest.mark.parametrize("bad", ["政策>>市场", " 前后空格", "箭头>"])
def test_a_name_qualcoder_would_change_is_refused_in_one_line_and_nothing_written(tmp_path: Path, bad: str) -> None:
    db = str(tmp_path / "bad.qcoder.db")
    with open_project(db) as project:

        def build(s) -> None:  # type: ignore[no-untyped-def]
            parent = create_code(s, "父", level=1)  # a parent: its name is a category segment
            create_code(s, "子", level=0, parent=parent)
            parent.name = bad  # as an older project or another tool's import may have it

        project.run(build)
    target = tmp_path / "codes.csv"
    code, out, err = qc("export", "codebook", "--db", db, "--format", "qualcoder", "-o", str(target))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: code {bad!r} cannot go to QualCoder") and "rename it" in err
    assert not target.exists()


def test_format_qualcoder_writes_only_csv(tree_db: str, tmp_path: Path) -> None:
    code, _, err = qc("export", "codebook", "--db", tree_db, "--format", "qualcoder", "-o", str(tmp_path / "c.qdc"))
    assert code == 1 and err == "error: --format qualcoder writes a .csv file; got 'c.qdc'\n"
    code, _, err = qc("export", "codebook", "--db", tree_db, "--format", "nvivo", "-o", str(tmp_path / "c.csv"))
    assert code == 1 and "taguette or qualcoder" in err and err.count("\n") == 1


def test_empty_codebook_gives_an_empty_file_qualcoder_reads(project: Project) -> None:
    with project.session() as s:
        assert export_qualcoder_csv(s) == "".encode("utf-8-sig")


def qualcoder_import_qdc(path: Path) -> dict[str, str]:
    """QualCoder's REFI-QDA codebook import of ``path`` as code path (``a>b``) → memo.

    Follows ccbogel/QualCoder ``src/qualcoder/refi.py`` (same commit), ``RefiImport.import_codebook``
    and ``sub_codes``: the namespace version is read from the root's children; each ``Code`` under
    ``Codes`` is a category only when ``isCodable="false"``, else a code whose ``Description`` is its
    memo and whose child ``Code``s become its sub-codes (``code_name.supercid``); a name already there
    is reused (IntegrityError), so its children nest under the first code of that name.
    """
    root = ET.parse(path).getroot()
    version = "1.0"
    for child in root:
        version = child.tag.split("{urn:QDA-XML:codebook:")[1].split("}")[0]
    ns = f"{{urn:QDA-XML:codebook:{version}}}"
    codes: dict[str, tuple[str, str | None]] = {}  # name → (memo, parent code name); unique(name)
    categories: list[str] = []

    def sub_codes(element: ET.Element, parent: str | None) -> None:
        description = "".join(d.text or "" for d in element.findall(f"{ns}Description"))
        name = element.get("name")
        assert name is not None
        if element.get("isCodable") == "false":
            categories.append(name)
            parent = None
        else:
            codes.setdefault(name, (description, parent))
            parent = name
        for child in element.findall(f"{ns}Code"):
            sub_codes(child, parent)

    listed = root.find(f"{ns}Codes")
    assert listed is not None
    for code in listed:
        sub_codes(code, None)
    assert not categories  # qcoder's codes are all codable

    def path(name: str) -> str:
        parent = codes[name][1]
        return name if parent is None else f"{path(parent)}>{name}"

    return {path(name): memo for name, (memo, _parent) in codes.items()}


def test_qualcoders_refi_codebook_import_reads_our_qdc_with_tree_and_definitions(tree_db: str, tmp_path: Path) -> None:
    target = tmp_path / "codes.qdc"
    code, _, err = qc("export", "codebook", "--db", tree_db, "-o", str(target))
    assert code == 0, err
    core, main, initial = "创新联合体赋能新质生产力", "创新环境", "企业主体"
    assert qualcoder_import_qdc(target) == {
        core: "核心范畴, 统领全部",
        f"{core}>{main}": '政策与"市场"环境',
        f"{core}>{main}>{initial}": "",
        f"{core}>{main}>{initial}>主体地位": "企业的主体作用\n第二行 🚀",
        f"{core}>{main}>{initial}>研发投入": "",
        f"{core}>{main}>{initial}>=成本": "looks like a formula",
        "成果转化": "单独的概念",
    }
