"""Decompression bombs: a 2 MB .docx or .qdpx that inflates to 2 GB is refused at once, in little memory.

Before: python-docx read every part into memory (2 GB, minutes) and a .qdpx member was read
up to its 100 MB cap in one piece. Now the central directory's sizes and the packed/unpacked
ratio are checked before anything is inflated, and members are inflated in small chunks.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from qcoder.corpus.importer import import_path
from qcoder.corpus.types import ImportRefused
from qcoder.corpus.word import read_docx
from qcoder.errors import QcoderError
from qcoder.exchange.package import read_package
from qcoder.store.database import Project

MB = 1024 * 1024


def _zeros_deflated(megabytes: int) -> bytes:
    """A raw deflate stream of ``megabytes`` MB of zeros, built from one repeated flushed block (no 2 GB pass)."""
    zeros = b"\0" * MB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again  # the same block each megabyte: repeat it
    return first + block * (megabytes - 2) + again + compressor.flush()


def bomb_zip(members: dict[str, bytes], bomb_name: str, megabytes: int, *, declared: int | None = None) -> bytes:
    """A zip with small stored ``members`` and one deflated member of ``megabytes`` MB of zeros."""
    out, central = bytearray(), bytearray()
    entries = [(name, data, 0, len(data), zlib.crc32(data)) for name, data in members.items()]
    packed = _zeros_deflated(megabytes)
    entries.append((bomb_name, packed, 8, megabytes * MB if declared is None else declared, 0))
    for name, data, method, size, crc in entries:
        offset = len(out)
        raw_name = name.encode()
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(raw_name), 0
        )
        out += raw_name + data
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(raw_name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw_name
    start = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def word_parts() -> dict[str, bytes]:
    """Every part of a real python-docx document except its text (the bomb takes that place)."""
    import zipfile

    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as package:
        return {name: package.read(name) for name in package.namelist() if name != "word/document.xml"}


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    data = bomb_zip(word_parts(), "word/document.xml", 2048)
    assert len(data) < 4 * MB  # ~3 MB on disk, 2 GB inflated
    return data


def test_docx_bomb_refused_in_little_memory(docx_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ImportRefused, match="zip bomb"):
            read_docx(docx_bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB


def test_docx_bomb_that_hides_its_size_is_refused_while_inflating() -> None:
    """A central directory that claims a small size: zipfile stops there, so a lie cannot inflate more."""
    data = bomb_zip(word_parts(), "word/document.xml", 64, declared=3 * MB)
    with pytest.raises(ImportRefused):
        read_docx(data)


def test_docx_bomb_import_changes_nothing(docx_bomb: bytes, tmp_path: Path, project: Project) -> None:
    path = tmp_path / "访谈.docx"
    path.write_bytes(docx_bomb)
    with pytest.raises(ImportRefused, match="zip bomb"):
        import_path(project, path)


def test_qdpx_bomb_refused_while_reading(tmp_path: Path) -> None:
    qde = b'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'
    data = bomb_zip({"project.qde": qde}, "sources/big.txt", 2048)
    path = tmp_path / "bomb.qdpx"
    path.write_bytes(data)
    package = read_package(path)
    tracemalloc.start()
    try:
        with pytest.raises(QcoderError, match="zip bomb"):
            package.member("sources/big.txt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB


def test_an_ordinary_docx_still_reads(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for n in range(200):
        document.add_paragraph(f"第{n}段：受访者谈到创新联合体。")
    path = tmp_path / "ok.docx"
    document.save(str(path))
    decoded = read_docx(path.read_bytes())
    assert decoded.text.count("创新联合体") == 200
