"""The codebook screen (axial and selective coding): the code tree by level, a code's
details, its typed relations, and the core category with its storyline memo.

Like the coding screen, every change goes through the Workbench and the screen then
re-reads what is stored; the engine's refusals (a parent must be at a higher level,
merging codes of different levels, stale versions) are shown as one-line errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Label, OptionList, Static, Tree
from textual.widgets.option_list import Option

from qcoder.coding.workbench import CodeInfo, ComparisonRow, MemoInfo, RelationInfo, Workbench
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.screens.base import WorkbenchScreen
from qcoder.tui.screens.comparison import ComparisonScreen
from qcoder.tui.screens.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen, TextEditScreen, level_choices
from qcoder.tui.screens.memo import MemoScreen
from qcoder.tui.screens.picker import PickerScreen, PickResult
from qcoder.tui.screens.split import SplitScreen
from qcoder.tui.widgets.code_tree import CodeTree


def relation_label(relation: RelationInfo) -> Text:
    label = Text(f"{relation.source} ", style="bold")
    label.append(f"—{relation.type}→ ", style="italic")
    label.append(relation.target, style="bold")
    if relation.note:
        label.append(f"  {relation.note.splitlines()[0][:50]}", style="dim")
    return label


class CodebookScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("a", "new_code", "New code"),
        Binding("e", "rename", "Rename"),
        Binding("d", "definition", "Definition"),
        Binding("C", "colour", "Colour", show=False),
        Binding("p", "move", "Parent"),
        Binding("g", "merge", "Merge into"),
        Binding("s", "split", "Split", show=False),
        Binding("delete,D", "delete", "Delete", show=False),
        Binding("t", "add_relation", "Relation"),
        Binding("E", "edit_relation", "Edit relation", show=False),
        Binding("X", "remove_relation", "Remove relation", show=False),
        Binding("m", "memo('code')", "Code memo"),
        Binding("M", "memo('relation')", "Relation memo", show=False),
        Binding("P", "memo('project')", "Project memo", show=False),
        Binding("c", "compare", "Compare"),
        Binding("S", "storyline", "Storyline", show=False),
        Binding("K", "core", "Core category", show=False),
        Binding("r,f5", "refresh", "Refresh", show=False),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+r", "redo", "Redo", show=False),
        Binding("b,escape,f2", "coding", "Coding"),
        Binding("R,f4", "reports", "Reports", show=False),
        Binding("ctrl+e", "export_menu", "Export…", show=False),
        Binding("ctrl+o", "import_menu", "Import / merge…", show=False),
        Binding("A", "agreement", "Agreement / reconcile", show=False),
        Binding("L", "toggle_live", "Live refresh on/off", show=False),
    ]

    def __init__(self, workbench: Workbench, catalog: CodeCatalog) -> None:
        super().__init__(workbench, catalog)
        self.relations: list[RelationInfo] = []
        self.core_id: int | None = None
        self.storyline: MemoInfo | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="codebook-main"):
            with Vertical(id="codebook-left"):
                yield Label("Codebook (mine/all)", classes="pane-title")
                yield CodeTree(self.catalog, id="codebook-tree")
            with Vertical(id="codebook-right"):
                with VerticalScroll(id="code-detail-scroll"):
                    yield Static("", id="code-detail")
                yield Label("Relations of this code", classes="pane-title")
                yield OptionList(id="relations")
                yield Label("Core category and storyline", classes="pane-title")
                yield Static("", id="storyline")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qcoder · codebook"
        self.reload_all()
        self.code_tree.focus()

    def help_nodes(self) -> list[tuple[str, object]]:
        return [("Codebook screen", self)]

    # ------------------------------------------------------------------ reading
    def reload_all(self) -> None:
        if self.app.is_offline:  # keep the last state read until the server answers again
            return
        self.app.attempt(self.catalog.reload, reload=False)
        self._read_storyline()
        self.code_tree.core_id = self.core_id
        self.code_tree.populate()
        self._show_code()

    def _read_storyline(self) -> None:
        def work() -> tuple[MemoInfo | None, int | None]:
            memo = self.workbench.storyline()  # on the core category, when one is chosen
            code = self.catalog.codes.get(memo.code_id) if memo is not None and memo.code_id is not None else None
            return memo, code.id if code is not None and code.level == self.catalog.top_level else None

        found = self.app.attempt(work, reload=False)
        self.storyline, self.core_id = found if found else (None, None)
        text = Text("core category: ", style="dim")
        text.append(self.catalog.name(self.core_id) if self.core_id else "(not chosen — K)", style="bold")
        text.append("\n")
        if self.storyline and self.storyline.text.strip():
            text.append(self.storyline.text.strip())
        else:
            text.append("(no storyline yet — S writes it)", style="dim")
        self.query_one("#storyline", Static).update(text)

    @property
    def code(self) -> CodeInfo | None:
        code_id = self.code_tree.selected_code_id
        return self.catalog.codes.get(code_id) if code_id is not None else None

    def _show_code(self) -> None:
        code = self.code
        detail = self.query_one("#code-detail", Static)
        relations = self.query_one("#relations", OptionList)
        if code is None:
            detail.update(Text("choose a code in the tree (a: new code)", style="dim"))
            relations.clear_options()
            self.relations = []
            return
        text = Text(code.name, style=f"bold {code.colour or ''}")
        text.append(f"  {self.catalog.level_name(code.level)}", style="italic")
        if code.id == self.core_id:
            text.append("  ★ core category", style="bold yellow")
        text.append("\n")
        parent = self.catalog.name(code.parent_id) if code.parent_id else "—"
        text.append(
            f"parent: {parent} · colour: {code.colour or '—'} · codings: {code.mine} mine / {code.codings} all\n",
            style="dim",
        )
        text.append(code.definition.strip() or "(no definition — d)")
        detail.update(text)
        code_id = code.id
        self.relations = self.app.attempt(lambda: self.workbench.relations(code_id), reload=False) or []
        relations.set_options(
            [Option(relation_label(r), id=str(r.id)) for r in self.relations]
            or [Option(Text("no relations (t adds one)", style="dim"), disabled=True)]
        )
        if self.relations:
            relations.highlighted = 0

    def on_tree_node_highlighted(self, _event: Tree.NodeHighlighted) -> None:
        self._show_code()

    @property
    def relation(self) -> RelationInfo | None:
        index = self.query_one("#relations", OptionList).highlighted
        if index is None or index >= len(self.relations):
            return None
        return self.relations[index]

    # ------------------------------------------------------------------ helpers
    def _need_code(self) -> CodeInfo | None:
        code = self.code
        if code is None:
            self.notify("choose a code in the tree first", severity="warning")
        return code

    def _apply(self, action: Callable[[], Any], message: str | Callable[[Any], str]) -> Any:
        """Run a Workbench action; on success re-read and say what happened."""
        result = self.app.attempt(action)
        if result is None:
            return None
        self.reload_all()
        self.notify(message(result) if callable(message) else message, timeout=2)
        return result

    def reread_after_step(self) -> None:
        """A step may be a coding: the coding screen below re-reads too."""
        self.app.reload_views()

    # ------------------------------------------------------------------ code actions
    def action_new_code(self) -> None:
        def named(name: str | None) -> None:
            if not name or not name.strip():
                return

            def levelled(level: int | None) -> None:
                if level is None:
                    return
                code = self._apply(lambda: self.workbench.create_code(name, level), f"new code {name.strip()}")
                if code is not None:
                    self.code_tree.select_code(code.id)

            self.app.push_screen(ChoiceScreen("Level of the new code", level_choices(self.catalog.levels)), levelled)

        self.app.push_screen(PromptScreen("New code: name"), named)

    def action_rename(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def renamed(name: str | None) -> None:
            if name and name.strip() and name.strip() != code.name:
                self._apply(
                    lambda: self.workbench.rename_code(code.id, name, expected_version=code.version),
                    f"renamed to {name.strip()}",
                )

        self.app.push_screen(PromptScreen(f"Rename {code.name}", code.name), renamed)

    def action_definition(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def defined(text: str | None) -> None:
            if text is not None:
                self._apply(
                    lambda: self.workbench.update_code(code.id, definition=text, expected_version=code.version),
                    f"definition of {code.name} saved",
                )

        self.app.push_screen(TextEditScreen(f"Definition of {code.name}", code.definition), defined)

    def action_colour(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def coloured(colour: str | None) -> None:
            if colour is not None:
                self._apply(
                    lambda: self.workbench.update_code(code.id, colour=colour.strip(), expected_version=code.version),
                    f"colour of {code.name} set",
                )

        self.app.push_screen(PromptScreen(f"Colour of {code.name} (#RRGGBB)", code.colour or "", "#2E86AB"), coloured)

    def action_move(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def moved(result: PickResult | None) -> None:
            if result is None:
                return
            parent = result.code_id
            where = self.catalog.name(parent) if parent else "the top (no parent)"
            self._apply(
                lambda: self.workbench.move_code(code.id, parent, expected_version=code.version),
                f"{code.name} moved under {where}",
            )

        allowed = [cid for cid in self.catalog.codes if cid != code.id]
        self.app.push_screen(
            PickerScreen(
                self.catalog,
                f"Move {code.name} under… (a parent is a higher level)",
                allowed=allowed,
                allow_create=False,
                none_label="(no parent)",
            ),
            moved,
        )

    def action_merge(self) -> None:
        source = self._need_code()
        if source is None:
            return

        def picked(result: PickResult | None) -> None:
            if result is None or result.code_id is None:
                return
            target = self.catalog.codes.get(result.code_id)
            if target is None:
                return
            count = self.app.attempt(lambda: self.workbench.coding_count(source.id), reload=False)
            if count is None:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._apply(
                        lambda: self.workbench.merge_codes(
                            source.id, target.id, expected_versions=(source.version, target.version)
                        ),
                        lambda moved: f"merged {source.name} into {target.name}: {moved} codings moved",
                    )
                    self.code_tree.select_code(target.id)

            self.app.push_screen(
                ConfirmScreen(
                    f"Merge {source.name} into {target.name}? Its {count} codings move (duplicates dropped); "
                    f"memos, relations and children follow; {source.name} is deleted. This cannot be undone."
                ),
                confirmed,
            )

        allowed = [cid for cid in self.catalog.codes if cid != source.id]
        self.app.push_screen(
            PickerScreen(self.catalog, f"Merge {source.name} into…", allowed=allowed, allow_create=False), picked
        )

    def action_split(self) -> None:
        code = self._need_code()
        if code is None:
            return
        rows = self.app.attempt(
            lambda: self.workbench.comparison(code.id, include_children=False, all_coders=True), reload=False
        )
        if rows is None:
            return

        def split(answer: tuple[str, list[int]] | None) -> None:
            if answer is None:
                return
            name, sentence_ids = answer
            self._apply(
                lambda: self.workbench.split_code(code.id, name, sentence_ids),
                f"split {code.name}: {name} took {len(sentence_ids)} statements",
            )

        self.app.push_screen(SplitScreen(code.name, rows), split)

    def action_delete(self) -> None:
        code = self._need_code()
        if code is None:
            return
        count = self.app.attempt(lambda: self.workbench.coding_count(code.id), reload=False)
        if count is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._apply(lambda: self.workbench.delete_code(code.id), f"deleted {code.name} and its {count} codings")

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {code.name}? This removes {count} codings (all coders); its children move up. "
                "It cannot be undone."
            ),
            confirmed,
        )

    # ------------------------------------------------------------------ relations
    def action_add_relation(self) -> None:
        source = self._need_code()
        if source is None:
            return

        def targeted(result: PickResult | None) -> None:
            if result is None or result.code_id is None:
                return
            target_id = result.code_id

            def typed(type_: str | None) -> None:
                if not type_:
                    return

                def noted(note: str | None) -> None:
                    if note is None:
                        return
                    self._apply(
                        lambda: self.workbench.add_relation(source.id, target_id, type_, note),
                        f"relation {source.name} —{type_}→ {self.catalog.name(target_id)} added",
                    )

                self.app.push_screen(PromptScreen("Note on the relation (may be empty)"), noted)

            types = self.app.attempt(self.workbench.relation_types, reload=False) or []
            self.app.push_screen(ChoiceScreen("Type of relation", [(t, t) for t in types]), typed)

        allowed = [cid for cid in self.catalog.codes if cid != source.id]
        self.app.push_screen(
            PickerScreen(self.catalog, f"Relation from {source.name} to…", allowed=allowed, allow_create=False),
            targeted,
        )

    def action_edit_relation(self) -> None:
        relation = self.relation
        if relation is None:
            self.notify("no relation highlighted", severity="warning")
            return
        types = self.app.attempt(self.workbench.relation_types, reload=False) or []

        def typed(type_: str | None) -> None:
            if not type_:
                return

            def noted(note: str | None) -> None:
                if note is not None:
                    self._apply(
                        lambda: self.workbench.update_relation(relation.id, type_=type_, note=note), "relation updated"
                    )

            self.app.push_screen(TextEditScreen("Note on the relation", relation.note), noted)

        current = types.index(relation.type) if relation.type in types else 0
        self.app.push_screen(ChoiceScreen("Type of relation", [(t, t) for t in types], current), typed)

    def action_remove_relation(self) -> None:
        relation = self.relation
        if relation is None:
            self.notify("no relation highlighted", severity="warning")
            return

        def remove() -> bool:
            self.workbench.remove_relation(relation.id)
            return True

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._apply(remove, "relation removed")

        self.app.push_screen(ConfirmScreen(f"Remove {relation.source} —{relation.type}→ {relation.target}?"), confirmed)

    # ------------------------------------------------------------------ memos, comparison, storyline
    def action_memo(self, target: str) -> None:
        if target == "code":
            code = self._need_code()
            if code is None:
                return
            screen = MemoScreen(self.workbench, "code", code.id, f"code {code.name}", default_type="code")
        elif target == "relation":
            relation = self.relation
            if relation is None:
                self.notify("no relation highlighted", severity="warning")
                return
            screen = MemoScreen(
                self.workbench,
                "relation",
                relation.id,
                f"relation {relation.source} —{relation.type}→ {relation.target}",
            )
        else:
            screen = MemoScreen(self.workbench, "project", None, "the project")
        self.app.push_screen(screen)

    def action_compare(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def chosen(row: ComparisonRow | None) -> None:
            if row is not None:
                self.app.show_statement(row.document_id, row.sentence_id)

        self.app.push_screen(ComparisonScreen(self.workbench, code.id, code.name), chosen)

    def action_storyline(self) -> None:
        def written(text: str | None) -> None:
            if text is not None:
                self._apply(lambda: self.workbench.set_storyline(text, self.core_id), "storyline saved")

        current = self.storyline.text if self.storyline else ""
        self.app.push_screen(TextEditScreen("Storyline (selective coding)", current), written)

    def action_core(self) -> None:
        top = self.catalog.top_level

        def chosen(result: PickResult | None) -> None:
            if result is None:
                return
            text = self.storyline.text if self.storyline else ""
            if result.new_name:
                code = self._apply(
                    lambda: self.workbench.create_code(result.new_name or "", top),
                    f"new {self.catalog.level_name(top)} {result.new_name}",
                )
                if code is None:
                    return
                core_id = code.id
            elif result.code_id is not None:
                core_id = result.code_id
            else:
                return
            self._apply(
                lambda: self.workbench.set_storyline(text, core_id), f"core category: {self.catalog.name(core_id)}"
            )

        allowed = [cid for cid, code in self.catalog.codes.items() if code.level == top]
        self.app.push_screen(
            PickerScreen(self.catalog, f"Core category (a {self.catalog.level_name(top)})", allowed=allowed, level=top),
            chosen,
        )

    def action_export_menu(self) -> None:
        from qcoder.tui.screens.exchange import ExchangeFlows  # lxml and the exchange code: only when asked

        ExchangeFlows(self, self.workbench).export_menu()

    def action_import_menu(self) -> None:
        from qcoder.tui.screens.exchange import ExchangeFlows

        ExchangeFlows(self, self.workbench).import_menu()

    def action_coding(self) -> None:
        self.app.close_codebook()
