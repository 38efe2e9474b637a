"""Decoding: every encoding researchers' files arrive in, and clear refusals."""

from __future__ import annotations

import io
import zipfile

import pytest

from qcoder.corpus.decode import decode
from qcoder.corpus.types import ImportRefused

SIMPLIFIED = "新质生产力是推动经济社会高质量发展的内在要求和重要着力点。\n创新联合体（AI）赋能：5G、2024年。\n"
TRADITIONAL = "新質生產力是推動經濟社會高質量發展的內在要求和重要著力點。\n創新聯合體賦能產業升級。\n"
PURE_CJK = "新质生产力是推动经济社会高质量发展的内在要求和重要着力点"
LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    ("text", "data", "family", "how"),
    [
        (SIMPLIFIED, SIMPLIFIED.encode("utf-8"), "utf-8", "valid utf-8"),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-8-sig"), "utf-8-sig", "bom"),
        (SIMPLIFIED, b"\xff\xfe" + SIMPLIFIED.encode("utf-16-le"), "utf-16-le", "bom"),
        (SIMPLIFIED, b"\xfe\xff" + SIMPLIFIED.encode("utf-16-be"), "utf-16-be", "bom"),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16-le"), "utf-16-le", "NUL"),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16-be"), "utf-16-be", "NUL"),
        (PURE_CJK, PURE_CJK.encode("utf-16-le"), "utf-16-le", "UTF-16"),
        (PURE_CJK, PURE_CJK.encode("utf-16-be"), "utf-16-be", "UTF-16"),
        (SIMPLIFIED, SIMPLIFIED.encode("gb18030"), "gb18030", "charset-normalizer"),
        (SIMPLIFIED, SIMPLIFIED.encode("gbk"), "gb18030", "charset-normalizer"),
        (TRADITIONAL, TRADITIONAL.encode("big5"), "big5", "charset-normalizer"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16le-bom",
        "utf16be-bom",
        "utf16le-nul",
        "utf16be-nul",
        "utf16le-pure-cjk",
        "utf16be-pure-cjk",
        "gb18030",
        "gbk",
        "big5",
    ],
)
def test_round_trip_and_family(text: str, data: bytes, family: str, how: str) -> None:
    decoded = decode(data, max_bytes=LIMIT)
    assert decoded.text == text
    assert decoded.encoding == family
    assert how in decoded.how


def test_line_endings_are_not_touched() -> None:
    assert decode("第一行\r\n第二行\r第三行".encode(), max_bytes=LIMIT).text == "第一行\r\n第二行\r第三行"


def test_gb18030_four_byte_characters_survive() -> None:
    text = "㐀𠀀生僻字测试，扎根理论。"  # CJK Ext A and Ext B need GB18030's four-byte codes
    decoded = decode(text.encode("gb18030"), max_bytes=LIMIT)
    assert decoded.text == text and decoded.encoding == "gb18030"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \n\t \r\n ", "only whitespace"),
        ("\u3000\u3000\n".encode(), "only whitespace"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
        (_zip(), "ZIP"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (bytes(range(256)) * 8, "binary"),
        (b"abc\x00def\x00\x00\x01\x02ghi" * 50, "binary"),
    ],
    ids=["empty", "whitespace", "ideographic-space", "png", "zip", "pdf", "all-bytes", "nul-garbage"],
)
def test_refusals_say_what_and_what_to_do(data: bytes, words: str) -> None:
    with pytest.raises(ImportRefused) as err:
        decode(data, max_bytes=LIMIT)
    message = str(err.value)
    assert words in message
    assert "\n" not in message


def test_oversize_is_refused_before_decoding() -> None:
    with pytest.raises(ImportRefused) as err:
        decode("字".encode() * 2000, max_bytes=5000)
    assert "5.9 KB" in str(err.value) and "4.9 KB" in str(err.value)
    assert "max_bytes" in str(err.value)


def test_invalid_bom_content_is_refused() -> None:
    with pytest.raises(ImportRefused, match="utf-16-le"):
        decode(b"\xff\xfe" + b"\x00\xd8" + b"a\x00", max_bytes=LIMIT)  # lone surrogate
