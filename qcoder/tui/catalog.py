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
        self._shared: set[str] = set()  # names more than one code has
        self._names_of: dict[int, CodeInfo] | None = None  # the codes ``_shared`` was counted from

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
        known = self.codes.get(code.id)
        self.codes[code.id] = code
        if known is None or known.name != code.name:  # a count changed (every toggle): the names did not
            self._names_of = None

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
        """The code's name; its path (``Parent/Child``) where another code has the same name."""
        code = self.codes.get(code_id)
        if code is None:
            return f"#{code_id}"
        return self.path(code_id) if self._shared_name(code.name) else code.name

    def _shared_name(self, name: str) -> bool:
        if self._names_of is not self.codes:  # codes were replaced or updated: count again
            counts: dict[str, int] = {}
            for code in self.codes.values():
                counts[code.name] = counts.get(code.name, 0) + 1
            self._shared, self._names_of = {n for n, k in counts.items() if k > 1}, self.codes
        return name in self._shared

    def path(self, code_id: int) -> str:
        """``Root/…/Child``: how the engine and the command line tell apart codes of one name."""
        names: list[str] = []
        current: int | None = code_id
        while current is not None and current in self.codes and len(names) <= len(self.codes):
            names.append(self.codes[current].name)
            current = self.codes[current].parent_id
        return "/".join(reversed(names))

    def level_name(self, level: int) -> str:
        return self.levels[level].label(language()) if 0 <= level < len(self.levels) else str(level)

    def name_problem(self, name: str, level: int, keep: int | None = None, parent_id: int | None = None) -> str | None:
        """What is wrong with ``name`` for a code at ``level`` under ``parent_id`` (None: a top code;
        ``keep``: the code being renamed); None if fine. Names are unique per parent.

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
        siblings = [c for c in self.codes.values() if c.name == cleaned and c.id != keep and c.parent_id == parent_id]
        if parent_id is not None and siblings:
            return _("a code named “{name}” already exists under “{parent}”").format(
                name=cleaned, parent=self.name(parent_id)
            )
        if any(c.level == level for c in siblings):
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
        by_path = "/" in query  # ``teachers/fun``: the picker takes a path as the command line does
        return rank(query, pool, lambda code: self.path(code.id) if by_path else code.name, limit=limit)

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
