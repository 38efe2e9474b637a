"""Bytes → text, choosing the encoding the way a careful human would.

Order matters: a byte-order mark is the strongest evidence; NUL bytes are either UTF-16 or
binary; a file that is valid UTF-8 is UTF-8 (the chance that GBK or Big5 text is also valid
UTF-8 is negligible beyond a few bytes); UTF-16 without a BOM and without NUL bytes (pure CJK
text has none) is recognised by how plausible the decoded characters are; only then is
charset-normalizer asked to guess among the legacy encodings (GB18030/GBK, Big5, ...).

The decoded text is returned exactly as decoded: line endings and everything else are left
to the cleaning steps, so `--dry-run` can report them.
"""

from __future__ import annotations

import dataclasses
import re

from qcoder.corpus.types import Decoded, ImportRefused

_SAMPLE = 64 * 1024  # bytes inspected by the heuristics; enough to be sure, cheap on 50 MB files

# Magic numbers of file types people drop into an import folder by mistake.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file; copy its text into a .txt file (or save it as .docx) first"),
    (b"PK\x03\x04", "a ZIP archive (or an Office file with the wrong suffix); unpack it or name a Word file .docx"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image; only text can be imported"),
    (b"\xff\xd8\xff", "a JPEG image; only text can be imported"),
    (b"GIF87a", "a GIF image; only text can be imported"),
    (b"GIF89a", "a GIF image; only text can be imported"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file (.doc/.xls); save it as .docx or .txt first"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; unpack it first"),
    (b"Rar!", "a RAR archive; unpack it first"),
    (b"\x7fELF", "a program, not text"),
)

# Characters that make up real text: CJK ideographs, kana/hangul are *not* included on
# purpose (GBK bytes misread as UTF-16 land in Hangul/Yi/private-use blocks), printable
# ASCII, whitespace, CJK and general punctuation, full-width forms.
_PLAUSIBLE = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef\u2000-\u206f\u0020-\u007e\t\n\r\u00a0-\u00ff]"
)
# C0 control characters other than tab, LF, VT, FF, CR (and ESC, used by some terminals' logs).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")

# charset-normalizer's codec names, grouped into the families we report.
_FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "hz": "hz",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
}
# The codec used to decode each family: the superset, so rare characters survive.
_FAMILY_CODEC = {"gb18030": "gb18030", "big5": "big5hkscs"}


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _refuse_signature(raw: bytes) -> None:
    for magic, what in _SIGNATURES:
        if raw.startswith(magic):
            raise ImportRefused(f"this is {what}")


def _plausible_share(text: str) -> float:
    if not text:
        return 0.0
    return len(_PLAUSIBLE.findall(text)) / len(text)


def _utf16_by_nul_pattern(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' if a file with NUL bytes reads as text in that byte order.

    The NULs alone do not tell the order: ASCII puts its zero high byte on one side, but
    CJK characters U+xx00 (一, 需, …) put a zero low byte on the other, and 一 is about as
    common as a line break. So decode a sample both ways and keep the one that reads.
    """
    if len(raw) % 2:
        return None
    sample = raw[:_SAMPLE]
    share, codec = max(
        (_plausible_share(sample.decode(codec, errors="replace")), codec) for codec in ("utf-16-le", "utf-16-be")
    )
    return codec if share >= 0.9 else None


def _utf16_by_plausibility(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 without BOM and without NULs (pure CJK): accept only if it reads as text."""
    if len(raw) % 2:
        return None
    sample = raw[: _SAMPLE - _SAMPLE % 2]
    best: tuple[float, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            share = _plausible_share(sample.decode(codec))
        except UnicodeDecodeError:
            continue
        if best is None or share > best[0]:
            best = (share, codec)
    if best is None or best[0] < 0.97:
        return None
    try:
        return raw.decode(best[1]), best[1]
    except UnicodeDecodeError:
        return None


def _legacy(raw: bytes) -> Decoded:
    """Ask charset-normalizer; decode the whole file strictly with the family's superset codec."""
    from charset_normalizer import from_bytes

    match = from_bytes(raw[: 4 * _SAMPLE] if len(raw) > 4 * _SAMPLE else raw).best()
    if match is None:
        raise ImportRefused(
            "cannot tell the text encoding (not UTF-8, UTF-16, GB18030 or Big5); save the file as UTF-8 and import again"
        )
    codec = match.encoding
    family = _FAMILY.get(codec, codec.replace("_", "-"))
    use = _FAMILY_CODEC.get(family, codec)
    try:
        text = raw.decode(use)
    except (UnicodeDecodeError, LookupError):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"the file looks like {family} but byte {exc.start} is not valid in it; save it as UTF-8 and import again"
            ) from None
    language = f", {match.language}" if match.language and match.language != "Unknown" else ""
    return Decoded(text=text, encoding=family, how=f"charset-normalizer ({codec}{language})")


def _check_text(decoded: Decoded) -> Decoded:
    nuls = decoded.text.count("\x00")
    if nuls:  # U+0000 is invisible, and PostgreSQL cannot store it in text at all
        plural = "s" if nuls != 1 else ""
        decoded = dataclasses.replace(
            decoded, text=decoded.text.replace("\x00", ""), how=f"{decoded.how}; {nuls} NUL character{plural} dropped"
        )
    text = decoded.text
    if not text.strip():
        raise ImportRefused("the file contains only whitespace; nothing to import")
    controls = len(_CONTROL.findall(text[:_SAMPLE]))
    if controls > max(2, len(text[:_SAMPLE]) // 1000):
        raise ImportRefused(
            f"the file decodes as {decoded.encoding} but is full of control characters; it is probably binary, not text"
        )
    return decoded


def decode(raw: bytes, *, max_bytes: int) -> Decoded:
    """Decode `raw` or raise ImportRefused with a one-line message that says what to do."""
    if len(raw) > max_bytes:
        raise ImportRefused(
            f"the file is {_size(len(raw))}, over the {_size(max_bytes)} import limit; split it or raise max_bytes in the project settings"
        )
    if not raw:
        raise ImportRefused("the file is empty; nothing to import")

    # 1. Byte-order marks (UTF-32 first: its LE mark starts with UTF-16's).
    if raw.startswith(b"\xef\xbb\xbf"):
        return _check_text(_strict(raw, "utf-8-sig", "bom"))
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        codec = "utf-32-le" if raw[0] == 0xFF else "utf-32-be"
        return _check_text(_strict(raw[4:], codec, "bom"))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if raw[0] == 0xFF else "utf-16-be"
        return _check_text(_strict(raw[2:], codec, "bom"))

    _refuse_signature(raw)

    # 2. NUL bytes: UTF-16 if they sit on one parity, otherwise binary.
    if b"\x00" in raw:
        nul_codec = _utf16_by_nul_pattern(raw)
        if nul_codec is None:
            raise ImportRefused("the file contains NUL bytes and is not UTF-16 text; it is probably binary, not text")
        try:
            decoded = _strict(raw, nul_codec, "NUL-byte pattern (no BOM)")
        except ImportRefused:
            decoded = Decoded(text="", encoding=nul_codec, how="")
        if _plausible_share(decoded.text[:_SAMPLE]) < 0.9:
            raise ImportRefused("the file contains NUL bytes but does not read as UTF-16 text; it is probably binary")
        return _check_text(decoded)

    # 3. Strict UTF-8.
    try:
        return _check_text(Decoded(text=raw.decode("utf-8"), encoding="utf-8", how="valid utf-8"))
    except UnicodeDecodeError:
        pass

    # 4. UTF-16 without BOM or NULs, then legacy encodings.
    found = _utf16_by_plausibility(raw)
    if found is not None:
        return _check_text(Decoded(text=found[0], encoding=found[1], how="reads as UTF-16 text (no BOM)"))
    return _check_text(_legacy(raw))


def _strict(raw: bytes, codec: str, how: str) -> Decoded:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"the file claims to be {codec} ({how}) but byte {exc.start} is invalid; re-save it as UTF-8 and import again"
        ) from None
    name = "utf-8-sig" if codec == "utf-8-sig" else codec
    return Decoded(text=text, encoding=name, how=how)
