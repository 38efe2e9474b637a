"""Zip packages from outside (.docx, .qdpx): refuse decompression bombs before and while inflating.

Why: a 2 MB .docx can inflate to 2 GB; python-docx reads every part into memory, so a bomb
would take the machine's memory and minutes before anything failed. Python's ``zipfile``
never inflates a member past the size its central directory declares (it stops there and
the CRC check fails), so the declared sizes are checked first — at once, without inflating
anything — and a member read here is inflated in small chunks, counting what came out, so a
refusal costs a few MB of memory at most.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable

MAX_RATIO = 200  # deflate of real XML stays well under this; a bomb is ~1000:1
RATIO_FLOOR = 4 * 1024 * 1024  # small members may compress better than that (a blank page of styles)
CHUNK = 256 * 1024


def check_declared(
    archive: zipfile.ZipFile,
    refuse: Callable[[str], Exception],
    *,
    member_cap: int,
    total_cap: int,
    max_ratio: int = MAX_RATIO,
) -> None:
    """Raise ``refuse(line)`` if the central directory already says this package is a bomb."""
    total = 0
    for info in archive.infolist():
        _check(info, info.file_size, refuse, member_cap, max_ratio)
        total += info.file_size
        if total > total_cap:
            raise refuse(
                f"its entries unpack to more than {total_cap / 1e6:.0f} MB in all; refused "
                "(a zip bomb or a file too large to import)"
            )


def _check(info: zipfile.ZipInfo, inflated: int, refuse: Callable[[str], Exception], cap: int, ratio: int) -> None:
    if inflated > cap:
        raise refuse(
            f"entry {info.filename!r} unpacks to more than {cap / 1e6:.0f} MB; refused "
            "(a zip bomb or a file too large to import)"
        )
    if inflated > RATIO_FLOOR and inflated > ratio * max(info.compress_size, 1):
        raise refuse(
            f"entry {info.filename!r} unpacks {inflated / max(info.compress_size, 1):.0f} times its packed size; "
            "refused (a zip bomb)"
        )


def read_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    refuse: Callable[[str], Exception],
    *,
    cap: int,
    max_ratio: int = MAX_RATIO,
) -> bytes:
    """The member's bytes, inflated chunk by chunk; refused as soon as it passes ``cap`` or the ratio."""
    _check(info, info.file_size, refuse, cap, max_ratio)
    parts: list[bytes] = []
    inflated = 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            inflated += len(chunk)
            _check(info, inflated, refuse, cap, max_ratio)
            parts.append(chunk)
    return b"".join(parts)
