"""A coder's name as it is stored: one form, however it was typed.

Kept free of SQLAlchemy so the fast launch (``first_look``) looks a coder up exactly as
``get_or_create_coder`` would store them.
"""

from __future__ import annotations

from qcoder.errors import QcoderError
from qcoder.store.safe_text import first_control


def clean_coder_name(name: str) -> str:
    control = first_control(name.replace("\t", " ").replace("\n", " "))
    if control is not None:  # shown on every coding, in every listing and agreement table
        raise QcoderError(f"a coder's name cannot contain control characters ({control}); type it without them")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise QcoderError("a coder needs a name; pass --coder NAME")
    if len(cleaned) > 120:
        raise QcoderError("a coder's name is at most 120 characters")
    return cleaned
