"""Project settings: the level ladder, import options, user dictionary, language.

Settings live in the project database (table ``settings``) so that every coder of a
shared project works with the same ladder and the same split rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.errors import QcoderError
from qcoder.store.import_options import PipelineOptions
from qcoder.store.ladder import DEFAULT_LADDER, Level, ladder_levels
from qcoder.store.models import BUILTIN_RELATION_TYPES, Setting

DEFAULTS: dict[str, Any] = {
    "levels": DEFAULT_LADDER,
    "to_simplified": False,
    "split_on_semicolon": False,
    "interviewer_context": False,  # interviewer turns of transcripts are context, not for coding
    "user_words": ["新质生产力", "创新联合体", "揭榜挂帅"],
    "language": "zh",
    "relation_types": [],  # project-defined types beside the built-in ones
    "codebook_frozen_at": None,  # ISO time the codebook was frozen (saturation check)
    # GUIDs other tools gave our documents (by SHA-256) and coders (by name): a REFI-QDA
    # export gives them back, so a project that went to another tool and back keeps them.
    "refi_guids": {"sources": {}, "users": {}},
    "coders_edit_codebook": True,  # PostgreSQL team projects: coders may change the codebook (owner decides)
}


def get_setting(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    if row is None:
        if key not in DEFAULTS:
            raise QcoderError(f"unknown setting {key!r}; known: {', '.join(sorted(DEFAULTS))}")
        return DEFAULTS[key]
    return row.value


def set_setting(session: Session, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise QcoderError(f"unknown setting {key!r}; known: {', '.join(sorted(DEFAULTS))}")
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


LANGUAGE_OVERRIDE = "qcoder.language"  # ``session.info`` key: reports in the reader's language, not the project's


def report_language(session: Session) -> str:
    """The language reports are written in: the session's override (the workbench's interface), else the project's."""
    override = session.info.get(LANGUAGE_OVERRIDE)
    return str(override) if override else str(get_setting(session, "language"))


def all_settings(session: Session) -> dict[str, Any]:

    stored = {row.key: row.value for row in session.scalars(select(Setting))}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def levels(session: Session) -> list[Level]:
    return ladder_levels(get_setting(session, "levels"))


def resolve_level(session: Session, spec: str | int | None) -> Level:
    """Accept a rank, key, Chinese or English name (``0``, ``concept``, ``概念``)."""
    ladder = levels(session)
    if spec is None:
        return ladder[0]
    text = str(spec).strip()
    if text.isdigit() and int(text) < len(ladder):
        return ladder[int(text)]
    folded = text.lower().replace("-", " ").replace("_", " ")
    for level in ladder:
        names = {level.key.replace("_", " "), level.name.lower(), level.name_en.lower()}
        if folded in names:
            return level
    choices = ", ".join(f"{lv.rank}={lv.name}/{lv.name_en}" for lv in ladder)
    raise QcoderError(f"unknown level {text!r}; use one of: {choices}")


def relation_types(session: Session) -> list[str]:
    extra = [t for t in get_setting(session, "relation_types") if t not in BUILTIN_RELATION_TYPES]
    return [*BUILTIN_RELATION_TYPES, *extra]


def pipeline_options(session: Session, **overrides: Any) -> PipelineOptions:
    values = all_settings(session)
    options = PipelineOptions(
        to_simplified=bool(values["to_simplified"]),
        split_on_semicolon=bool(values["split_on_semicolon"]),
        interviewer_context=bool(values["interviewer_context"]),
        user_words=tuple(values["user_words"]),
    )
    if overrides:
        from dataclasses import replace

        options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
    return options
