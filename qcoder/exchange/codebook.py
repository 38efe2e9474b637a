"""Codebook exchange: export in five formats, import in two phases.

Import never surprises the researcher: ``plan_codebook_import`` reads the project and
says, per code, what would happen — ``new``, ``same``, ``renamed`` (same GUID, other
name), ``updated`` (same GUID and name; definition, colour or parent differ) or
``conflicting`` (would break a rule: a name already used under the same parent with another
GUID, a parent that is not at a higher level, a cycle…). ``apply_plan`` changes the
database only when called, inside the caller's transaction, and skips conflicting codes.

Levels: a file that states a level (qcoder level Sets, a ``level`` column) is taken at
its word; otherwise an existing code keeps its level and a new code gets its height in
the file's tree (leaves are concepts, their parents one level up, and so on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.codes import create_code, move_code, rename_code, update_code
from qcoder.errors import Conflict, QcoderError
from qcoder.exchange import refi
from qcoder.exchange.codebook_read import CodeEntry, ParsedCodebook, parse_csv, parse_json, parse_qdc, read_codebook
from qcoder.exchange.codebook_write import (
    EXPORTERS,
    export_codebook,
    export_csv,
    export_json,
    export_markdown,
    export_qdc,
    export_xlsx,
    write_codebook,
)
from qcoder.store.events import log_event
from qcoder.store.models import Code, Coder
from qcoder.store.settings import Level, get_setting, levels, resolve_level, set_setting

__all__ = [
    "EXPORTERS",
    "CodeEntry",
    "CodebookPlan",
    "ParsedCodebook",
    "PlannedCode",
    "apply_plan",
    "export_codebook",
    "export_csv",
    "export_json",
    "export_markdown",
    "export_qdc",
    "export_xlsx",
    "parse_csv",
    "parse_json",
    "parse_qdc",
    "plan_codebook_import",
    "read_codebook",
    "write_codebook",
]

KINDS = ("new", "same", "renamed", "updated", "conflicting")
_UNKNOWN = object()  # a parent the import has yet to create: no project code can clash under it
LEVEL_MODES = ("auto", "map")  # a tree deeper than the ladder: extend the ladder, or map depth onto it


@dataclass
class PlannedCode:
    """What importing one entry would do."""

    entry: CodeEntry
    kind: str
    level: int
    code_id: int | None = None  # the project's code this entry is
    version: int | None = None  # that code's version when planned (stale plans are refused)
    parent_key: str | None = None  # parent defined in the file …
    parent_code_id: int | None = None  # … or already in the project
    set_parent: bool = True  # False: the file says nothing about the parent
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (project, file)
    reason: str = ""
    clash_code_id: int | None = None  # conflicting: the project's code with this name and level


@dataclass
class CodebookPlan:
    source: str
    items: list[PlannedCode]
    notes: list[str] = field(default_factory=list)
    extend_ladder: int = 0  # ``--levels auto``: rungs to add on top of the ladder before creating codes

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if item.kind == kind)

    def summary(self) -> str:
        return ", ".join(f"{self.count(kind)} {kind}" for kind in KINDS)

    def lines(self, ladder: Sequence[Level]) -> list[str]:
        """One line per code for the researcher to read before confirming."""
        out = []
        for item in self.items:
            level = ladder[item.level].name if 0 <= item.level < len(ladder) else f"level {item.level}"
            detail = item.reason
            if item.kind == "renamed":
                old, new = item.changes["name"]
                detail = f"{old!r} → {new!r}"
                rest = [k for k in item.changes if k != "name"]
                detail += f"; also {', '.join(rest)}" if rest else ""
            elif item.kind == "updated":
                detail = "changes " + ", ".join(item.changes)
            out.append(f"{item.kind:<12} {item.entry.name} [{level}]" + (f"  {detail}" if detail else ""))
        return out


def _explicit_level(session: Session, entry: CodeEntry) -> int | None:
    if entry.level is None:
        return None
    try:
        return resolve_level(session, entry.level).rank
    except QcoderError as error:
        raise QcoderError(f"{entry.where}, field 'level': {error}") from None


class _Planner:
    """Holds the project's codebook and the file's entries while classifying."""

    def __init__(self, session: Session, parsed: ParsedCodebook) -> None:
        self.session = session
        self.parsed = parsed
        self.entries = parsed.entries
        self.keys = parsed.by_key()
        self.top = len(levels(session)) - 1
        self.codes = list(session.scalars(select(Code)))
        self.by_guid = {c.guid: c for c in self.codes}
        self.by_id = {c.id: c for c in self.codes}
        self.children: dict[str, list[CodeEntry]] = {}
        for entry in self.entries:
            if entry.parent_key:
                self.children.setdefault(entry.parent_key, []).append(entry)
        self.explicit = {e.key: lv for e in self.entries if (lv := _explicit_level(session, e)) is not None}
        self.name_count = Counter(e.name for e in self.entries)
        self._matched: dict[str, Code | None] = {}
        self.match: dict[str, Code | None] = {e.key: self._match(e) for e in self.entries}
        self.level: dict[str, int] = {}
        self.cyclic: set[str] = set()
        for entry in self.entries:
            self._derive(entry, [])
        self.parent_override: dict[str, str | None] = {}  # ``map``: codes moved under a higher ancestor
        self.extend = 0
        self.notes: list[str] = []

    def fit(self, mode: str | None) -> None:
        """A tree deeper than the ladder: extend the ladder (``auto``), or place the deeper codes at
        the top level under their nearest ancestor above (``map``), reporting each code moved; without
        a mode the too-deep codes are conflicting and the note says which option to use."""
        derived = {key: lv for key, lv in self.level.items() if key not in self.explicit}
        needed = max(derived.values(), default=0)
        if needed <= self.top:
            return
        if mode is None:
            self.notes.append(
                f"the file's code tree is {needed + 1} levels deep, the project's ladder has {self.top + 1}: "
                "add --levels auto to extend the ladder, or --levels map to place deeper codes at the top level"
            )
            return
        if mode == "auto":
            self.extend = needed - self.top
            self.notes.append(
                f"--levels auto: the ladder is extended from {self.top + 1} to {needed + 1} levels "
                f"({self.extend} new level(s) above the top) so every code keeps its depth"
            )
            self.top = needed
            return
        if mode != "map":
            raise QcoderError(f"--levels takes {' or '.join(LEVEL_MODES)}; got {mode!r}")
        moved = 0
        for key, level in derived.items():
            if level > self.top:
                self.level[key] = self.top
                moved += 1
                self.notes.append(
                    f"--levels map: {self.keys[key].name!r} placed at level {self.top} (its depth gives level {level})"
                )
        for entry in self.entries:  # a parent no longer above its child: the nearest ancestor that is
            original = parent = entry.parent_key
            if original is None or original not in self.keys or self.level[original] > self.level[entry.key]:
                continue
            while parent is not None and parent in self.keys and self.level[parent] <= self.level[entry.key]:
                parent = self.keys[parent].parent_key
            self.parent_override[entry.key] = parent
            under = f"under {self.keys[parent].name!r}" if parent else "at the top of the tree"
            self.notes.append(
                f"--levels map: {entry.name!r} now sits {under} (its parent {self.keys[original].name!r} "
                "is at the same level)"
            )
        self.notes.insert(0, f"--levels map: {moved} code(s) deeper than the ladder placed at its top level")

    def _match(self, entry: CodeEntry, stack: tuple[str, ...] = ()) -> Code | None:
        """The project's code this entry is: by GUID; else by name — and, where codes under
        different parents share the name (in the project or in the file), by parent too."""
        if entry.key in self._matched:
            return self._matched[entry.key]
        if entry.guid:
            found = self.by_guid.get(entry.guid)
        else:
            level = self.explicit.get(entry.key)
            named = [c for c in self.codes if c.name == entry.name and (level is None or c.level == level)]
            if len(named) > 1 or (named and self.name_count[entry.name] > 1):
                parent_id = self._entry_parent_id(entry, stack)
                if parent_id is not _UNKNOWN:
                    named = [c for c in named if c.parent_id == parent_id]
                elif entry.parent_known:  # under a parent the import creates: a new code too
                    named = []
            if len(named) > 1:
                paths = ", ".join(repr(p) for p in sorted(self.path(c) for c in named))
                raise QcoderError(
                    f"{entry.where}: {entry.name!r} names several codes in the project ({paths}); "
                    "give its parent, level or GUID"
                )
            found = named[0] if named else None
        self._matched[entry.key] = found
        return found

    def path(self, code: Code) -> str:
        names, current, seen = [code.name], code.parent_id, 0
        while current is not None and current in self.by_id and seen < len(self.by_id):
            names.append(self.by_id[current].name)
            current, seen = self.by_id[current].parent_id, seen + 1
        return "/".join(reversed(names))

    def _entry_parent_id(self, entry: CodeEntry, stack: tuple[str, ...]) -> int | object | None:
        """The project id of the entry's parent (None: a top code); ``_UNKNOWN`` when the parent is new."""
        if entry.parent_key and entry.parent_key in self.keys:
            if entry.parent_key in stack or entry.key in stack:
                return _UNKNOWN
            parent = self._match(self.keys[entry.parent_key], (*stack, entry.key))
            return parent.id if parent is not None else _UNKNOWN
        if entry.parent_ref:
            try:
                return self._parent_code(entry).id
            except QcoderError:
                return _UNKNOWN
        return None if entry.parent_known else _UNKNOWN

    def _derive(self, entry: CodeEntry, stack: list[str]) -> int:
        if entry.key in self.level:
            return self.level[entry.key]
        if entry.key in stack:
            self.cyclic.update(stack[stack.index(entry.key) :])
            return 0
        matched = self.match[entry.key]
        if entry.key in self.explicit:
            value = self.explicit[entry.key]
        elif matched is not None:
            value = matched.level
        else:
            kids = [self._derive(child, [*stack, entry.key]) for child in self.children.get(entry.key, [])]
            value = max(kids) + 1 if kids else 0
        self.level[entry.key] = value
        return value

    def _parent_code(self, entry: CodeEntry) -> Code:
        ref = entry.parent_ref or ""
        code = self.by_guid.get(ref.lower().strip("{}"))
        if code is None:
            named = [c for c in self.codes if c.name == ref]
            if not named and (refi.FLAT_PATH_SEPARATOR in ref or "/" in ref):  # a path: A::B or A/B
                wanted = "/".join(part.strip() for part in ref.replace(refi.FLAT_PATH_SEPARATOR, "/").split("/"))
                named = [c for c in self.codes if (p := self.path(c)) == wanted or p.endswith("/" + wanted)]
            if len(named) > 1:
                paths = ", ".join(sorted(repr(self.path(c)) for c in named))
                raise QcoderError(
                    f"{entry.where}, field 'parent': {ref!r} names several codes in the project ({paths}); "
                    "give its path or use parent_guid"
                )
            code = named[0] if named else None
        if code is None:
            raise QcoderError(f"{entry.where}, field 'parent': {ref!r} is neither in the file nor in the project")
        return code

    def classify(self, entry: CodeEntry) -> PlannedCode:
        level = self.level[entry.key]
        matched = self.match[entry.key]
        item = PlannedCode(entry=entry, kind="new", level=level, set_parent=entry.parent_known)
        if matched is not None:
            item.code_id, item.version = matched.id, matched.version
        if entry.key in self.cyclic:
            return self._conflict(item, "the file's hierarchy has a cycle through this code")
        if not 0 <= level <= self.top:
            return self._conflict(
                item,
                f"level {level} is outside the ladder (0–{self.top}); the hierarchy is too deep "
                "(--levels auto extends the ladder, --levels map places it at the top level)",
            )
        parent_level: int | None = None
        parent_name = ""
        parent_key = self.parent_override.get(entry.key, entry.parent_key)
        if parent_key:
            item.parent_key = parent_key
            parent_level, parent_name = self.level[parent_key], self.keys[parent_key].name
        elif entry.parent_ref:
            parent = self._parent_code(entry)
            item.parent_code_id, parent_level, parent_name = parent.id, parent.level, parent.name
        if parent_level is not None and parent_level <= level:
            return self._conflict(item, f"its parent {parent_name!r} is at level {parent_level}, not above {level}")
        if matched is None:
            where = "under the same parent"
            if entry.parent_known or item.parent_key or item.parent_code_id is not None:
                clash = self._sibling(entry.name, level, self._planned_parent_id(item), None)
            else:  # the file says nothing of a parent: a code of this name at this level is this one
                clash = next((c for c in self.codes if c.name == entry.name and c.level == level), None)
                where = "at this level"
            if clash is not None:
                item.clash_code_id = clash.id
                return self._conflict(
                    item,
                    f"the project already has {entry.name!r} {where} with GUID {clash.guid} (file: {entry.guid})",
                )
            return item
        return self._compare(item, matched)

    def _compare(self, item: PlannedCode, code: Code) -> PlannedCode:
        entry = item.entry
        if item.level != code.level:
            return self._conflict(item, f"the project has this code at level {code.level}, the file at {item.level}")
        if entry.name != code.name:
            item.changes["name"] = (code.name, entry.name)
            parent_id = self._planned_parent_id(item) if item.set_parent else code.parent_id
            if self._sibling(entry.name, code.level, parent_id, code.id) is not None:
                return self._conflict(
                    item, f"renaming {code.name!r} to {entry.name!r} clashes with another code under the same parent"
                )
        if item.set_parent:
            wanted = self._wanted_parent_guid(item)
            current = self.by_id[code.parent_id].guid if code.parent_id in self.by_id else None
            if wanted != current:
                item.changes["parent"] = (current, wanted)
        if entry.definition and entry.definition != code.definition:
            item.changes["definition"] = (code.definition, entry.definition)
        if entry.colour and entry.colour != code.colour:
            item.changes["colour"] = (code.colour, entry.colour)
        item.kind = "renamed" if "name" in item.changes else "updated" if item.changes else "same"
        return item

    def _planned_parent_id(self, item: PlannedCode) -> int | object | None:
        """The project id of the parent the code will have; ``_UNKNOWN`` when that parent is new."""
        if item.parent_code_id is not None:
            return item.parent_code_id
        if item.parent_key is None:
            return None
        matched = self.match.get(item.parent_key)
        return matched.id if matched is not None else _UNKNOWN

    def _sibling(self, name: str, level: int, parent_id: int | object | None, code_id: int | None) -> Code | None:
        """A project code already named ``name`` where the code goes (names are unique per parent;
        top codes per level); none under a parent that the import creates."""
        if parent_id is _UNKNOWN:
            return None
        for code in self.codes:
            if code.name != name or code.id == code_id or code.parent_id != parent_id:
                continue
            if parent_id is not None or code.level == level:
                return code
        return None

    def _wanted_parent_guid(self, item: PlannedCode) -> str | None:
        if item.parent_code_id is not None:
            return self.by_id[item.parent_code_id].guid
        if item.parent_key is None:
            return None
        parent = self.keys[item.parent_key]
        matched = self.match[parent.key]
        return matched.guid if matched is not None else parent.guid or f"(new {parent.name})"

    @staticmethod
    def _conflict(item: PlannedCode, reason: str) -> PlannedCode:
        item.kind, item.reason = "conflicting", reason
        return item


def plan_codebook_import(session: Session, parsed: ParsedCodebook, *, levels_mode: str | None = None) -> CodebookPlan:
    """Classify every code of the file against the project; changes nothing.

    ``levels_mode`` for a tree deeper than the ladder: ``auto`` (the plan extends the ladder
    when applied) or ``map`` (deeper codes at the top level, each one named in the notes).
    """
    planner = _Planner(session, parsed)
    planner.fit(levels_mode)
    items = [planner.classify(entry) for entry in parsed.entries]
    by_key = {item.entry.key: item for item in items}
    _mark_duplicates(items)
    changed = True
    while changed:  # a code cannot be created under, or moved to, a parent that is skipped
        changed = False
        for item in items:
            parent = by_key.get(item.parent_key) if item.parent_key else None
            needs_parent = item.kind == "new" or "parent" in item.changes
            if parent is not None and parent.kind == "conflicting" and item.kind != "conflicting" and needs_parent:
                item.kind, item.reason = "conflicting", f"its parent {parent.entry.name!r} is conflicting"
                changed = True
    items.sort(key=lambda item: -item.level)  # parents first; sort is stable, so file order within a level
    return CodebookPlan(
        source=parsed.source, items=items, notes=[*parsed.notes, *planner.notes], extend_ladder=planner.extend
    )


def extend_ladder(session: Session, rungs: int) -> None:
    """Add ``rungs`` levels above the top of the project's ladder (``--levels auto``)."""
    if rungs <= 0:
        return
    ladder = list(get_setting(session, "levels"))
    for _ in range(rungs):
        rank = len(ladder)
        ladder.append({"key": f"level_{rank}", "name": f"第{rank}层", "name_en": f"level {rank}"})
    set_setting(session, "levels", ladder)


def _parent_identity(item: PlannedCode, by_key: dict[str, PlannedCode]) -> tuple[str, object]:
    """Where a code will sit, so two entries bound for one place are seen to clash."""
    if item.parent_key is not None:
        parent = by_key.get(item.parent_key)
        if parent is not None and parent.code_id is not None:
            return ("code", parent.code_id)
        return ("entry", item.parent_key)
    if item.parent_code_id is not None:
        return ("code", item.parent_code_id)
    return ("top", item.level)


def _mark_duplicates(items: list[PlannedCode]) -> None:
    by_key = {item.entry.key: item for item in items}
    seen_codes: dict[int, str] = {}
    seen_names: dict[tuple[str, tuple[str, object]], str] = {}
    for item in items:
        if item.kind == "conflicting":
            continue
        if item.code_id is not None:
            if item.code_id in seen_codes:
                item.kind, item.reason = "conflicting", f"the same project code as {seen_codes[item.code_id]}"
            seen_codes[item.code_id] = item.entry.where
        target = (item.entry.name, _parent_identity(item, by_key))
        if item.kind != "conflicting" and (item.kind == "new" or "name" in item.changes):
            if target in seen_names:
                item.kind, item.reason = (
                    "conflicting",
                    f"{item.entry.name!r} under the same parent also comes from {seen_names[target]}",
                )
            seen_names[target] = item.entry.where


def apply_plan(session: Session, plan: CodebookPlan, *, coder: Coder | None = None) -> dict[str, int]:
    """Carry out a plan in the caller's transaction; conflicting codes are skipped.

    A code someone changed since the plan was made stops the whole import (Conflict), so
    the transaction rolls back and nothing changes.
    """
    extend_ladder(session, plan.extend_ladder)
    resolved: dict[str, Code] = {}
    for item in plan.items:  # parents first
        if item.code_id is not None:
            code = session.get(Code, item.code_id)
            if code is None or code.version != item.version:
                raise Conflict(f"{item.entry.name!r} changed since the plan was made; plan the import again")
            resolved[item.entry.key] = code
    done = {kind: 0 for kind in KINDS}
    for item in plan.items:
        done[item.kind] += 1
        if item.kind in ("same", "conflicting"):
            continue
        entry = item.entry
        parent = _parent_of(session, item, resolved) if item.kind == "new" or "parent" in item.changes else None
        if item.kind == "new":
            resolved[entry.key] = create_code(
                session,
                entry.name,
                level=item.level,
                parent=parent,
                definition=entry.definition,
                colour=entry.colour,
                coder=coder,
                guid=entry.guid,
            )
            continue
        code = resolved[entry.key]
        if "name" in item.changes:
            rename_code(session, code, entry.name, coder=coder)
        if "definition" in item.changes or "colour" in item.changes:
            update_code(
                session,
                code,
                definition=entry.definition if "definition" in item.changes else None,
                colour=entry.colour if "colour" in item.changes else None,
                coder=coder,
            )
        if "parent" in item.changes:
            move_code(session, code, parent, coder=coder)
    log_event(session, coder.id if coder else None, "codebook.import", source=plan.source, **done)
    return done


def _parent_of(session: Session, item: PlannedCode, resolved: dict[str, Code]) -> Code | None:
    if item.parent_code_id is not None:
        parent = session.get(Code, item.parent_code_id)
        if parent is None:
            raise Conflict(f"the parent of {item.entry.name!r} was deleted since the plan was made; plan again")
        return parent
    if item.parent_key is None:
        return None
    return resolved[item.parent_key]
