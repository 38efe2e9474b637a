"""Files a researcher should not have dropped into the import folder, or did on purpose.

Each file is either imported *correctly* (the statements are what the text says, whatever
its encoding or line endings) or refused with one clear line, and a refusal leaves the
project byte-for-byte as it was (row counts and a digest of every table). The command
line says the same in one ``error:`` line per file, exit code 1, never a traceback.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import opencc
import pytest
from factories import add_document
from sqlalchemy import func, select

from qcoder.coding.workbench import Workbench
from qcoder.corpus.importer import import_path
from qcoder.corpus.pipeline import process
from qcoder.corpus.split import MAX_STATEMENT_CHARS
from qcoder.corpus.types import ImportRefused
from qcoder.store.check import check_project
from qcoder.store.database import Project, open_project
from qcoder.store.models import Base, Document, Sentence

SAMPLES = Path(__file__).resolve().parents[2] / "sample_corpus"
# Real documents: 002 has 一/需 (U+4E00, U+9700), whose UTF-16 code units contain a NUL byte.
ARTICLE = (SAMPLES / "002_0b34773bb78a3812.txt").read_text(encoding="utf-8")
BRIEF = (SAMPLES / "001_e25c449d6a8f1097.txt").read_text(encoding="utf-8")
TRADITIONAL = opencc.OpenCC("s2tw").convert((SAMPLES / "004_7084b6461f86516c.txt").read_text(encoding="utf-8"))
SENTENCES = "我们访谈了二十位企业家。他们认为创新联合体提高了研发效率！政府的支持是否足够？仍需观察。\n" * 20
MB = 1024 * 1024


# --------------------------------------------------------------------------- helpers


def table_digest(project: Project) -> dict[str, tuple[int, str]]:
    """Row count and SHA-256 of every table's rows in primary-key order."""
    digest: dict[str, tuple[int, str]] = {}
    with project.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest[table.name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return digest


def import_one(project: Project, path: Path) -> str:
    """Import ``path`` as ``qcoder import`` does; the new document's label."""
    return import_path(project, path).label


def stored_statements(project: Project, label: str) -> list[str]:
    with project.session() as session:
        return list(
            session.scalars(
                select(Sentence.text).join(Document).where(Document.label == label).order_by(Sentence.ordinal)
            )
        )


def reference_statements(text: str) -> list[str]:
    """The statements the same text yields when it arrives as plain UTF-8 with LF."""
    processed = process(text.encode("utf-8"), filename="reference.txt")
    return [processed.text[s.start : s.end] for s in processed.spans]


def one_line(message: str) -> bool:
    return bool(message.strip()) and "\n" not in message.strip() and "Traceback" not in message


# --------------------------------------------------------------------------- the hostile set


@dataclass(frozen=True)
class Hostile:
    name: str  # file name, suffix included
    make: Callable[[Path], None]  # writes the file
    words: tuple[str, ...]  # a refusal must say these (lower case)


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _sparse_200_mb(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(200 * MB)  # sparse: instant, no disk used


def _text_with_nuls() -> bytes:
    data = bytearray(SENTENCES.encode("utf-8"))
    for at in range(100, len(data), 97):
        data[at] = 0
    return bytes(data)


REFUSED = [
    Hostile("photo.txt", _write(b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(4096)), ("png",)),
    Hostile("binary.txt", _write(random.Random(2).randbytes(64 * 1024)), ("binary",)),
    Hostile("empty.txt", _write(b""), ("empty",)),
    Hostile("blank.txt", _write(b" \r\n\t\n  \n"), ("whitespace",)),
    Hostile("huge.txt", _sparse_200_mb, ("mb", "limit")),
    Hostile("nuls.txt", _write(_text_with_nuls()), ("nul",)),
]


@pytest.fixture
def coded(sqlite_url: str) -> Iterator[Project]:
    """A SQLite project that already holds a coded document, so 'unchanged' means something."""
    opened = open_project(sqlite_url)
    doc = add_document(opened, ["已有的第一句。", "已有的第二句。"])
    bench = Workbench(opened, "ana")
    code = bench.create_code("已有概念")
    bench.code_statements([bench.statements(doc)[0].id], code.id)
    yield opened
    opened.close()


@pytest.mark.parametrize("hostile", REFUSED, ids=lambda h: h.name)
def test_unusable_files_are_refused_in_one_line_and_change_nothing(
    coded: Project, tmp_path: Path, hostile: Hostile
) -> None:
    path = tmp_path / hostile.name
    hostile.make(path)
    before = table_digest(coded)
    with pytest.raises(ImportRefused) as refused:
        import_one(coded, path)
    message = str(refused.value)
    assert one_line(message)
    assert all(word in message.lower() for word in hostile.words), message
    assert table_digest(coded) == before


def test_a_200_mb_file_is_refused_without_being_read(coded: Project, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    _sparse_200_mb(path)
    tracemalloc.start()
    try:
        with pytest.raises(ImportRefused, match=r"\b2[01]\d MB, over the .* limit"):
            import_one(coded, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * MB, f"refusing a 200 MB file allocated {peak / MB:.0f} MB"


# Files where a clean refusal and a faithful import are both acceptable: what must not
# happen is an import that silently drops or garbles the readable text.
AMBIGUOUS = [
    Hostile(
        "invalid-utf8.txt", _write(BRIEF.encode()[:3000] + b"\xff\xfe\xc0\x80" + BRIEF.encode()[3000:]), ("utf-8",)
    ),
    Hostile(
        "mixed.txt",
        _write(SENTENCES[: len(SENTENCES) // 2].encode("utf-8") + SENTENCES[len(SENTENCES) // 2 :].encode("gbk")),
        ("utf-8",),
    ),
]


@pytest.mark.parametrize("hostile", AMBIGUOUS, ids=lambda h: h.name)
def test_damaged_or_mixed_encodings_are_refused_or_kept_intact(
    coded: Project, tmp_path: Path, hostile: Hostile
) -> None:
    path = tmp_path / hostile.name
    hostile.make(path)
    before = table_digest(coded)
    try:
        label = import_one(coded, path)
    except ImportRefused as refused:
        assert one_line(str(refused)) and all(w in str(refused).lower() for w in hostile.words), str(refused)
        assert table_digest(coded) == before
        return
    text = "".join(stored_statements(coded, label))
    original = BRIEF if hostile.name.startswith("invalid") else SENTENCES
    for line in original.splitlines()[:5] + original.splitlines()[-5:]:
        assert "".join(line.split()) in "".join(text.split()), f"lost or garbled: {line!r}"


# --------------------------------------------------------------------------- files that must import


@pytest.mark.parametrize(
    ("name", "data", "text", "encoding"),
    [
        pytest.param("gb18030.txt", ARTICLE.encode("gb18030"), ARTICLE, "gb18030", id="gb18030.txt"),
        pytest.param(
            "gb18030-4byte.txt",
            (SENTENCES + "㐀䶵𠀀𪚥是罕见字。\n").encode("gb18030"),
            SENTENCES + "㐀䶵𠀀𪚥是罕见字。\n",
            "gb18030",
            id="gb18030-4byte.txt",
        ),
        pytest.param("big5.txt", TRADITIONAL.encode("big5"), TRADITIONAL, "big5", id="big5.txt"),
        pytest.param(
            "utf16-le-bom.txt", b"\xff\xfe" + ARTICLE.encode("utf-16-le"), ARTICLE, "utf-16-le", id="utf16-le-bom.txt"
        ),
        pytest.param(
            "utf16-be-bom.txt", b"\xfe\xff" + ARTICLE.encode("utf-16-be"), ARTICLE, "utf-16-be", id="utf16-be-bom.txt"
        ),
        pytest.param("utf16-le.txt", ARTICLE.encode("utf-16-le"), ARTICLE, "utf-16-le", id="utf16-le.txt"),
        pytest.param("utf16-be.txt", ARTICLE.encode("utf-16-be"), ARTICLE, "utf-16-be", id="utf16-be.txt"),
        pytest.param("utf8-bom.txt", b"\xef\xbb\xbf" + BRIEF.encode(), BRIEF, "utf-8-sig", id="utf8-bom.txt"),
        pytest.param("crlf.txt", BRIEF.replace("\n", "\r\n").encode(), BRIEF, "utf-8", id="crlf.txt"),
        pytest.param("cr-only.txt", BRIEF.replace("\n", "\r").encode("gb18030"), BRIEF, "gb18030", id="cr-only.txt"),
    ],
)
def test_legacy_encodings_and_line_endings_import_as_the_same_statements(
    coded: Project, tmp_path: Path, name: str, data: bytes, text: str, encoding: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    label = import_one(coded, path)
    statements = stored_statements(coded, label)
    assert statements == reference_statements(text)
    assert not any("\r" in s or "\x00" in s for s in statements)
    with coded.session() as session:
        document = session.scalar(select(Document).where(Document.label == label))
        assert document is not None
        assert document.encoding == encoding
        assert document.raw_bytes == data  # the original is kept as it was
        assert "\r" not in document.text
    assert check_project(coded) == []


@pytest.mark.slow
def test_a_1_mb_line_without_punctuation_is_cut_into_codable_statements_losing_nothing(
    coded: Project, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    rng = random.Random(3)
    pool = "创新联合体赋能新质生产力的理论机制与实践路径企业高校科研院所协同攻关关键核心技术"
    timings = []
    for size in (MB // 4, MB):
        line = "".join(rng.choice(pool) for _ in range(size // 3))  # 3 UTF-8 bytes per character
        path = tmp_path / f"line-{size}.txt"
        path.write_text(line, encoding="utf-8")
        began = time.perf_counter()
        label = import_one(coded, path)
        timings.append((size, time.perf_counter() - began))
        statements = stored_statements(coded, label)
        # No punctuation, no whitespace: hard cuts at the statement limit, nothing lost.
        assert "".join(statements) == line
        assert max(map(len, statements)) == MAX_STATEMENT_CHARS and len(statements) > 1
    figures(
        "one line without punctuation: "
        + ", ".join(f"{size / MB:.2f} MB in {seconds:.2f} s" for size, seconds in timings)
        + f" (×{timings[1][1] / timings[0][1]:.1f} time for ×4 size)"
    )
    assert check_project(coded) == []


def test_a_nul_character_inside_utf16_text_imports_the_same_on_both_backends(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "stray-nul.txt"
    path.write_bytes(("第一句有一个\x00空字符。第二句正常。\n" + SENTENCES).encode("utf-16"))
    with open_project(db_url) as project:
        label = import_one(project, path)
        statements = stored_statements(project, label)
    assert statements[:2] == ["第一句有一个空字符。", "第二句正常。"]


@pytest.mark.postgres
def test_on_postgres_refusals_change_nothing_and_gb18030_imports(pg_url: str, tmp_path: Path) -> None:
    with open_project(pg_url) as project:
        before = table_digest(project)
        for hostile in REFUSED:
            path = tmp_path / hostile.name
            hostile.make(path)
            with pytest.raises(ImportRefused):
                import_one(project, path)
        assert table_digest(project) == before
        path = tmp_path / "gb18030.txt"
        path.write_bytes(ARTICLE.encode("gb18030"))
        label = import_one(project, path)
        assert stored_statements(project, label) == reference_statements(ARTICLE)
        assert check_project(project) == []


# --------------------------------------------------------------------------- the command line


def test_the_cli_refuses_each_bad_file_in_one_error_line_and_changes_nothing(coded: Project, tmp_path: Path) -> None:
    paths = []
    for hostile in REFUSED:
        paths.append(tmp_path / hostile.name)
        hostile.make(paths[-1])
    before = table_digest(coded)
    assert coded.url.startswith("sqlite:///")
    db = coded.url.removeprefix("sqlite:///")
    result = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "import", "--db", db, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(paths), result.stderr
    assert all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert table_digest(coded) == before


def test_the_cli_imports_the_good_files_and_refuses_the_bad_ones_of_one_batch(coded: Project, tmp_path: Path) -> None:
    good = tmp_path / "big5.txt"
    good.write_bytes(TRADITIONAL.encode("big5"))
    bad = tmp_path / "binary.txt"
    bad.write_bytes(random.Random(2).randbytes(64 * 1024))
    db = coded.url.removeprefix("sqlite:///")
    result = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "import", "--db", db, str(bad), str(good)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "big5.txt: imported as D02" in result.stdout and "encoding big5" in result.stdout
    assert stored_statements(coded, "D02") == reference_statements(TRADITIONAL)
    with coded.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2
