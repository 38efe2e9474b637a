"""Hostile or odd XML is refused with one clear line before anything reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qcoder.errors import QcoderError
from qcoder.exchange.xml_safety import parse_xml, refi_root

CODE = '<Codes><Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="{name}" isCodable="true"/></Codes>'


def codebook(name: str = "x", *, prolog: str = "", namespace: str = "urn:QDA-XML:codebook:1.0") -> bytes:
    return f'<?xml version="1.0"?>{prolog}<CodeBook xmlns="{namespace}">{CODE.format(name=name)}</CodeBook>'.encode()


def test_external_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for body in ("&xxe;", "ok"):  # the entity used in an attribute, or only declared
        data = codebook(body, prolog=f'<!DOCTYPE CodeBook [<!ENTITY xxe SYSTEM "file://{secret}">]>')
        with pytest.raises(QcoderError, match="entit") as refused:
            refi_root(data, what="evil.qdc", roots=("CodeBook",))
        assert "TOP-SECRET-CONTENT" not in str(refused.value)
        assert str(refused.value).startswith("evil.qdc")


def test_billion_laughs_is_refused() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    data = codebook("&lol9;", prolog=f"<!DOCTYPE CodeBook [{entities}]>")
    with pytest.raises(QcoderError, match="entit"):
        refi_root(data, what="laughs.qdc", roots=("CodeBook",))


def test_any_doctype_is_refused() -> None:
    with pytest.raises(QcoderError, match="document type declaration"):
        parse_xml(b"<!DOCTYPE CodeBook><CodeBook/>", what="x.qdc")


def test_wrong_namespace_and_wrong_root_are_refused() -> None:
    with pytest.raises(QcoderError, match=re.escape("namespace 'http://example.com/other'")):
        refi_root(codebook(namespace="http://example.com/other"), what="x.qdc", roots=("CodeBook",))
    with pytest.raises(QcoderError, match="root element is <CodeBook>, expected <Project>"):
        refi_root(codebook(), what="x.qde", roots=("Project",))


@pytest.mark.parametrize(
    "namespace", ["urn:QDA-XML:codebook:1:0", "urn:qda-xml:codebook:1.0", "urn:QDA-XML:codebook:0:4"]
)
def test_namespace_spellings_in_the_wild_are_accepted(namespace: str) -> None:
    root = refi_root(codebook(namespace=namespace), what="x.qdc", roots=("CodeBook",))
    assert [child.tag for child in root.iter()] == ["CodeBook", "Codes", "Code"]


def test_size_cap_and_syntax_errors_name_the_file() -> None:
    with pytest.raises(QcoderError, match=r"big\.qdc is .* over the 0 MB limit"):
        parse_xml(b"<a/>" * 100, what="big.qdc", max_bytes=10)
    with pytest.raises(QcoderError, match=r"bad\.qdc line 1: not well-formed"):
        parse_xml(b"<CodeBook><Codes></CodeBook>", what="bad.qdc")
