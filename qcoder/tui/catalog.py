"""What the screens know about the codebook between refreshes: codes, levels, recent codes.

One place re-reads codes from the Workbench and answers the cheap questions every
drawn line asks (a code's name and colour), so widgets never query the database
while painting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qcoder.coding.records import CodeInfo
from qcoder.i18n import language
from qcoder.store.ladder import Level

if TYPE_CHECKING:
    from qcoder.coding.workbench import Workbench

RECENT_SLOTS = 9


class CodeCatalog:
    def __init__(self, workbench: Workbench) -> None:
        self.workbench = workbench
        self.codes: dict[int, CodeInfo] = {}
        self.levels: list[Level] = []
        self.coders: dict[int, str] = {}
        # Recently used codes by GUID, most recent first: an identity no other code can get,
        # so a key never codes with a code that took a deleted one's place.
        self.recent_guids: list[str] = []

    def reload(self) -> None:
        self.assign(self.workbench.levels(), self.workbench.codes(), self.workbench.coders())

    def assign(self, levels: list[Level], codes: Iterable[CodeInfo], coders: Iterable[tuple[int, str]]) -> None:
        """Take state read elsewhere (a live-refresh worker) instead of querying here."""
        self.levels = levels
        self.codes = {code.id: code for code in codes}
        self.coders = dict(coders)

    @property
    def recent(self) -> list[int]:
        """Ids of the recently used codes that exist now, most recent first."""
        by_guid = {code.guid: code.id for code in self.codes.values()}
        return [by_guid[guid] for guid in self.recent_guids if guid in by_guid]

    def same_as(self, levels: list[Level], codes: Iterable[CodeInfo], coders: Iterable[tuple[int, str]]) -> bool:
        return levels == self.levels and {c.id: c for c in codes} == self.codes and dict(coders) == self.coders

    def update(self, code: CodeInfo) -> None:
        self.codes[code.id] = code

    def use(self, code_id: int) -> None:
        """Put a code at the front of the recently-used list (number keys 1–9)."""
        code = self.codes.get(code_id)
        if code is None:
            return
        live = {c.guid for c in self.codes.values()}
        others = [guid for guid in self.recent_guids if guid != code.guid and guid in live]
        self.recent_guids = [code.guid, *others][:RECENT_SLOTS]

    def recent_code(self, slot: int) -> CodeInfo | None:
        """The code on number key ``slot`` (1-based)."""
        if 1 <= slot <= len(self.recent):
            return self.codes.get(self.recent[slot - 1])
        return None

    def name(self, code_id: int) -> str:
        code = self.codes.get(code_id)
        return code.name if code else f"#{code_id}"

    def level_name(self, level: int) -> str:
        return self.levels[level].label(language()) if 0 <= level < len(self.levels) else str(level)

    @property
    def top_level(self) -> int:
        return len(self.levels) - 1

    def find(self, query: str, allowed: Iterable[int] | None = None, limit: int | None = 200) -> list[CodeInfo]:
        """Codes matching ``query`` (picker ranking); recently used codes win ties."""
        from qcoder.coding.picker import rank  # rapidfuzz and pypinyin: when the picker first opens

        pool = list(self.codes.values()) if allowed is None else [self.codes[c] for c in allowed if c in self.codes]
        order = {cid: i for i, cid in enumerate(self.recent)}
        pool.sort(key=lambda code: (order.get(code.id, len(order)), -code.mine, code.name))
        return rank(query, pool, lambda code: code.name, limit=limit)

    def children(self) -> dict[int | None, list[CodeInfo]]:
        """parent id → child codes (highest level first, then by name); None holds the roots."""
        tree: dict[int | None, list[CodeInfo]] = {}
        for code in sorted(self.codes.values(), key=lambda c: (-c.level, c.name)):
            parent = code.parent_id if code.parent_id in self.codes else None
            tree.setdefault(parent, []).append(code)
        return tree

    def subtree(self, code_id: int) -> list[int]:
        tree = self.children()
        result, stack = [], [code_id]
        while stack:
            current = stack.pop()
            result.append(current)
            stack.extend(child.id for child in tree.get(current, []))
        return result
