"""The level ladder of a project: concept → initial category → main category → core category.

Kept apart from ``settings`` (which needs SQLAlchemy) so that the workbench can show the
code tree under the project's level names before the engine has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Level:
    """One rung of the ladder; ``rank`` 0 is the lowest (concepts)."""

    rank: int
    key: str
    name: str  # label shown to the researcher, e.g. 概念
    name_en: str

    def label(self, language: str = "zh") -> str:
        return self.name if language == "zh" else self.name_en


DEFAULT_LADDER: list[dict[str, str]] = [
    {"key": "concept", "name": "概念", "name_en": "concept"},
    {"key": "initial_category", "name": "初始范畴", "name_en": "initial category"},
    {"key": "main_category", "name": "主范畴", "name_en": "main category"},
    {"key": "core_category", "name": "核心范畴", "name_en": "core category"},
]


def ladder_levels(ladder: list[dict[str, Any]]) -> list[Level]:
    """The stored ``levels`` setting as Level records, lowest first."""
    return [
        Level(rank=i, key=item["key"], name=item["name"], name_en=item.get("name_en", item["key"]))
        for i, item in enumerate(ladder)
    ]
