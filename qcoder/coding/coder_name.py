"""A coder's name as it is stored: one form, however it was typed.

Kept free of SQLAlchemy so the fast launch (``first_look``) looks a coder up exactly as
``get_or_create_coder`` would store them.
"""

from __future__ import annotations

from qcoder.errors import QcoderError


def clean_coder_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise QcoderError("a coder needs a name; pass --coder NAME")
    if len(cleaned) > 120:
        raise QcoderError("a coder's name is at most 120 characters")
    return cleaned
