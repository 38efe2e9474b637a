"""What the screens know about the codebook between refreshes: codes, levels, recent codes.

One place re-reads codes from the Workbench and answers the cheap questions every
drawn line asks (a code's name and colour), so widgets never query the database
while painting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qcoder.coding.records import CodeInfo
from qcoder.i18n import _, language
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
        # The codes on number keys 1–9 by GUID (an identity no other code can get, so a key never
        # codes with a code that took a deleted one's place). A slot keeps its code: a new code
        # takes a free slot (or the least recently used one), so the keys never reorder.
        self.slots: list[str | None] = [None] * RECENT_SLOTS
        self._used: list[str] = []  # GUIDs, least recently used first

    def reload(self) -> None:
        self.assign(self.workbench.levels(), self.workbench.codes(), self.workbench.coders())

    def assign(self, levels: list[Level], codes: Iterable[CodeInfo], coders: Iterable[tuple[int, str]]) -> None:
        """Take state read elsewhere (a live-refresh worker) instead of querying here."""
        self.levels = levels
        self.codes = {code.id: code for code in codes}
        self.coders = dict(coders)

    @property
    def recent(self) -> list[int]:
        """Ids of the codes on number keys, in key order (keys of deleted codes left out)."""
        return [code_id for _, code_id in self.recent_slots()]

    def recent_slots(self) -> list[tuple[int, int]]:
        """(number key, code id) of every key that holds an existing code."""
        by_guid = {code.guid: code.id for code in self.codes.values()}
        return [(slot, by_guid[guid]) for slot, guid in enumerate(self.slots, start=1) if guid in by_guid]

    def slot_of(self, code_id: int) -> int | None:
        """The number key a code is on, if any."""
        return next((slot for slot, cid in self.recent_slots() if cid == code_id), None)

    def same_as(self, levels: list[Level], codes: Iterable[CodeInfo], coders: Iterable[tuple[int, str]]) -> bool:
        return levels == self.levels and {c.id: c for c in codes} == self.codes and dict(coders) == self.coders

    def update(self, code: CodeInfo) -> None:
        self.codes[code.id] = code

    def use(self, code_id: int) -> None:
        """A code was used: it keeps its number key, or takes a free one (else the least recently used)."""
        code = self.codes.get(code_id)
        if code is None:
            return
        self._used = [guid for guid in self._used if guid != code.guid] + [code.guid]
        if code.guid in self.slots:
            return
        live = {c.guid for c in self.codes.values()}
        free = [i for i, guid in enumerate(self.slots) if guid is None or guid not in live]
        if free:
            self.slots[free[0]] = code.guid
            return
        oldest = next(guid for guid in self._used if guid in self.slots)  # every slot holds a used code
        self.slots[self.slots.index(oldest)] = code.guid

    def restore_slots(self, guids: list[str | None]) -> None:
        """Put the number keys back as a previous session left them."""
        self.slots = ([*guids] + [None] * RECENT_SLOTS)[:RECENT_SLOTS]
        self._used = [guid for guid in self.slots if guid]

    def recent_code(self, slot: int) -> CodeInfo | None:
        """The code on number key ``slot`` (1-based)."""
        if not 1 <= slot <= RECENT_SLOTS:
            return None
        guid = self.slots[slot - 1]
        return next((code for code in self.codes.values() if code.guid == guid), None) if guid else None

    def name(self, code_id: int) -> str:
        code = self.codes.get(code_id)
        return code.name if code else f"#{code_id}"

    def level_name(self, level: int) -> str:
        return self.levels[level].label(language()) if 0 <= level < len(self.levels) else str(level)

    def name_problem(self, name: str, level: int, keep: int | None = None) -> str | None:
        """What is wrong with ``name`` for a code at ``level`` (``keep``: the code being renamed); None if fine.

        The engine's rules (``coding.codes``), checked before asking it so a dialog can say so in place.
        """
        from qcoder.coding.codes import NAME_LIMIT

        cleaned = " ".join(name.split())
        if not cleaned:
            return _("a code needs a name")
        if len(cleaned) > NAME_LIMIT:
            return _("a code's name is at most {limit} characters; this one has {count}").format(
                limit=NAME_LIMIT, count=len(cleaned)
            )
        if any(c.name == cleaned and c.level == level and c.id != keep for c in self.codes.values()):
            return _("a code named “{name}” already exists at the level {level}").format(
                name=cleaned, level=self.level_name(level)
            )
        return None

    def name_problem_any_level(self, name: str) -> str | None:
        """An empty or too long name (before the level is chosen)."""
        return self.name_problem(name, -1)

    def higher(self, code_id: int) -> list[int]:
        """Codes that may be the parent of ``code_id``: of a higher level, and not in its own subtree."""
        code = self.codes.get(code_id)
        if code is None:
            return []
        below = set(self.subtree(code_id))
        return [c.id for c in self.codes.values() if c.level > code.level and c.id not in below]

    @property
    def top_level(self) -> int:
        return len(self.levels) - 1

    def find(self, query: str, allowed: Iterable[int] | None = None, limit: int | None = 200) -> list[CodeInfo]:
        """Codes matching ``query`` (picker ranking); recently used codes win ties."""
        from qcoder.coding.picker import rank  # rapidfuzz and pypinyin: when the picker first opens

        pool = list(self.codes.values()) if allowed is None else [self.codes[c] for c in allowed if c in self.codes]
        order = {cid: i for i, cid in enumerate(reversed([self._id(g) for g in self._used]))}
        pool.sort(key=lambda code: (order.get(code.id, len(order)), -code.mine, code.name))
        return rank(query, pool, lambda code: code.name, limit=limit)

    def _id(self, guid: str) -> int | None:
        return next((code.id for code in self.codes.values() if code.guid == guid), None)

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
