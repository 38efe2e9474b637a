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
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Label, OptionList, Static, Tree
from textual.widgets.option_list import Option

from qcoder.analysis.table import relation_type_label
from qcoder.coding.workbench import CodeInfo, ComparisonRow, MemoInfo, RelationInfo, Workbench
from qcoder.i18n import N_, _, language
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.screens.base import WorkbenchScreen
from qcoder.tui.screens.comparison import ComparisonScreen
from qcoder.tui.screens.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen, TextEditScreen, level_choices
from qcoder.tui.screens.memo import MemoScreen
from qcoder.tui.screens.picker import PickerScreen, PickResult
from qcoder.tui.screens.split import SplitScreen
from qcoder.tui.widgets.code_tree import CodeTree


def type_name(type_: str) -> str:
    """A relation type in the interface language (``causal`` / 因果关系)."""
    return relation_type_label(type_, language())


def relation_label(relation: RelationInfo) -> Text:
    label = Text(f"{relation.source} ", style="bold")
    label.append(f"—{type_name(relation.type)}→ ", style="italic")
    label.append(relation.target, style="bold")
    if relation.note:
        label.append(f"  {relation.note.splitlines()[0][:50]}", style="dim")
    return label


class CodebookScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("a", "new_code", N_("New code")),
        Binding("e", "rename", N_("Rename")),
        Binding("d", "definition", N_("Definition")),
        Binding("C", "colour", N_("Colour"), show=False),
        Binding("p", "move", N_("Parent")),
        Binding("g", "merge", N_("Merge into")),
        Binding("s", "split", N_("Split"), show=False),
        Binding("delete,D", "delete", N_("Delete"), show=False),
        Binding("t", "add_relation", N_("Relation")),
        Binding("E", "edit_relation", N_("Edit relation"), show=False),
        Binding("X", "remove_relation", N_("Remove relation"), show=False),
        Binding("m", "memo('code')", N_("Code memo")),
        Binding("M", "memo('relation')", N_("Relation memo"), show=False),
        Binding("P", "memo('project')", N_("Project memo"), show=False),
        Binding("c", "compare", N_("Compare")),
        Binding("S", "storyline", N_("Storyline"), show=False),
        Binding("K", "core", N_("Core category"), show=False),
        Binding("r,f5", "refresh", N_("Refresh"), show=False),
        Binding("u", "undo", N_("Undo")),
        Binding("ctrl+r", "redo", N_("Redo"), show=False),
        Binding("b,escape,f2", "coding", N_("Coding")),
        Binding("R,f4", "reports", N_("Reports"), show=False),
        Binding("ctrl+e", "export_menu", N_("Export…"), show=False),
        Binding("ctrl+o", "import_menu", N_("Import / merge…"), show=False),
        Binding("A", "agreement", N_("Agreement / reconcile"), show=False),
        Binding("L", "toggle_live", N_("Live refresh on/off"), show=False),
    ]

    def __init__(self, workbench: Workbench, catalog: CodeCatalog) -> None:
        super().__init__(workbench, catalog)
        self.relations: list[RelationInfo] = []
        self.core_id: int | None = None
        self.storyline: MemoInfo | None = None
        self.initial_code: int | None = None  # selected once mounted (the memo browser's jump to a code)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="codebook-main"):
            with Vertical(id="codebook-left"):
                yield Label(_("Codebook (mine/all)"), classes="pane-title")
                yield CodeTree(self.catalog, id="codebook-tree")
            with Vertical(id="codebook-right"):
                with VerticalScroll(id="code-detail-scroll"):
                    yield Static("", id="code-detail")
                yield Label(_("Relations of this code"), classes="pane-title")
                yield OptionList(id="relations")
                yield Label(_("Core category and storyline"), classes="pane-title")
                yield Static("", id="storyline")
        yield Footer(show_command_palette=False)  # docked over the keys it would hide some; ? lists ctrl+p

    def on_mount(self) -> None:
        self.title = _("qcoder · codebook")
        initial = self.initial_code

        def chosen() -> None:
            if initial is not None:
                self.code_tree.select_code(initial)

        self.reload_all(then=chosen)
        self.code_tree.focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < 70, "narrow")  # the tree gives the details room

    def help_nodes(self) -> list[tuple[str, object]]:

        return [(_("Codebook screen"), self)]

    # ------------------------------------------------------------------ reading
    def reload_all(self, then: Callable[[], None] | None = None) -> None:
        """Re-read the codebook on the database lane; shown (then ``then``) when it answers."""
        if self.app.is_offline:  # keep the last state read until the server answers again
            return
        workbench = self.workbench

        def read() -> tuple[tuple[Any, Any, Any], MemoInfo | None]:
            return (workbench.levels(), workbench.codes(), workbench.coders()), workbench.storyline()

        def show(found: tuple[tuple[Any, Any, Any], MemoInfo | None]) -> None:
            state, memo = found
            self.catalog.assign(*state)
            self._show_storyline(memo)
            self.code_tree.core_id = self.core_id
            self.code_tree.populate()
            self._show_code()
            if then is not None:
                then()

        self.app.attempt_then(read, show, reload=False)

    def _show_storyline(self, memo: MemoInfo | None) -> None:
        """The storyline memo (on the core category, when one is chosen) below the details."""
        code = self.catalog.codes.get(memo.code_id) if memo is not None and memo.code_id is not None else None
        self.storyline = memo
        self.core_id = code.id if code is not None and code.level == self.catalog.top_level else None
        text = Text(_("core category: "), style="dim")
        text.append(self.catalog.name(self.core_id) if self.core_id else _("(not chosen — K)"), style="bold")
        text.append("\n")
        if self.storyline and self.storyline.text.strip():
            text.append(self.storyline.text.strip())
        else:
            text.append(_("(no storyline yet — S writes it)"), style="dim")
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
            detail.update(Text(_("choose a code in the tree (a: new code)"), style="dim"))
            relations.clear_options()
            self.relations = []
            return
        text = Text(code.name, style=f"bold {code.colour or ''}")
        text.append(f"  {self.catalog.level_name(code.level)}", style="italic")
        if code.id == self.core_id:
            text.append(_("  ★ core category"), style="bold yellow")
        text.append("\n")
        parent = self.catalog.name(code.parent_id) if code.parent_id else "—"
        text.append(
            _("parent: {parent} · colour: {colour} · codings: {mine} mine / {all} all").format(
                parent=parent, colour=code.colour or "—", mine=code.mine, all=code.codings
            )
            + "\n",
            style="dim",
        )
        text.append(code.definition.strip() or _("(no definition — d)"))
        detail.update(text)
        code_id = code.id
        self.relations = []  # until this code's are read: no action takes another code's relation
        if self.app.offline_refusal:
            return  # offline or busy: the tree still moves; the relations are read once the database answers

        def show(found: list[RelationInfo]) -> None:
            if self.code_tree.selected_code_id != code_id:
                return  # the cursor moved on meanwhile
            self.relations = found or []
            relations.set_options(
                [Option(relation_label(r), id=str(r.id)) for r in self.relations]
                or [Option(Text(_("no relations (t adds one)"), style="dim"), disabled=True)]
            )
            if self.relations:
                relations.highlighted = 0

        workbench = self.workbench
        self.app.attempt_then(lambda: workbench.relations(code_id), show, reload=False)

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
            self.notify(_("choose a code in the tree first"), severity="warning")
        return code

    def _apply(
        self,
        action: Callable[[], Any],
        message: str | Callable[[Any], str],
        then: Callable[[Any], None] | None = None,
    ) -> None:
        """Run a Workbench action on the database lane; once done, re-read, say what happened, then ``then(result)``."""

        def done(result: Any) -> None:
            if result is None:
                return
            self.reload_all(then=(lambda: then(result)) if then is not None else None)
            self.notify(message(result) if callable(message) else message, timeout=2)

        self.app.attempt_then(action, done)

    def reread_after_step(self) -> None:
        """A step may be a coding: the coding screen below re-reads too."""
        self.app.reload_views()

    # ------------------------------------------------------------------ code actions
    def action_new_code(self) -> None:
        """Name, then level; what is wrong with the name is said in the dialog, which keeps the typed text."""

        def create(name: str, level: int) -> None:
            self._apply(
                lambda: self.workbench.create_code(name, level),
                _("new code {name}").format(name=name.strip()),
                then=lambda code: self.code_tree.select_code(code.id),
            )

        def named(name: str | None) -> None:
            if not name or not name.strip():
                return

            def levelled(level: int | None) -> None:
                if level is None:
                    return
                problem = self.catalog.name_problem(name, level)
                if problem is None:
                    create(name, level)
                    return

                def renamed(again: str | None) -> None:  # the same dialog, the name kept, the problem said
                    if again and again.strip():
                        create(again, level)

                self.app.push_screen(
                    PromptScreen(
                        _("New code at the level {level}: name").format(level=self.catalog.level_name(level)),
                        name,
                        check=lambda typed: self.catalog.name_problem(typed, level),
                        error=problem,
                    ),
                    renamed,
                )

            self.app.push_screen(ChoiceScreen(_("Level of the new code"), level_choices(self.catalog.levels)), levelled)

        self.app.push_screen(PromptScreen(_("New code: name"), check=self.catalog.name_problem_any_level), named)

    def action_rename(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def renamed(name: str | None) -> None:
            if name and name.strip() and name.strip() != code.name:
                self._apply(
                    lambda: self.workbench.rename_code(code.id, name, expected_version=code.version),
                    _("renamed to {name}").format(name=name.strip()),
                )

        self.app.push_screen(
            PromptScreen(
                _("Rename {name}").format(name=code.name),
                code.name,
                check=lambda typed: self.catalog.name_problem(
                    typed, code.level, keep=code.id, parent_id=code.parent_id
                ),
            ),
            renamed,
        )

    def action_definition(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def defined(text: str | None) -> None:
            if text is not None:
                self._apply(
                    lambda: self.workbench.update_code(code.id, definition=text, expected_version=code.version),
                    _("definition of {name} saved").format(name=code.name),
                )

        self.app.push_screen(TextEditScreen(_("Definition of {name}").format(name=code.name), code.definition), defined)

    def action_colour(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def coloured(colour: str | None) -> None:
            if colour is not None:
                self._apply(
                    lambda: self.workbench.update_code(code.id, colour=colour.strip(), expected_version=code.version),
                    _("colour of {name} set").format(name=code.name),
                )

        self.app.push_screen(
            PromptScreen(_("Colour of {name} (#RRGGBB)").format(name=code.name), code.colour or "", "#2E86AB"),
            coloured,
        )

    def action_move(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def moved(result: PickResult | None) -> None:
            if result is None:
                return
            parent = result.code_id
            where = self.catalog.name(parent) if parent else _("the top (no parent)")
            self._apply(
                lambda: self.workbench.move_code(code.id, parent, expected_version=code.version),
                _("{name} moved under {parent}").format(name=code.name, parent=where),
            )

        allowed = self.catalog.higher(code.id)  # only codes of a higher level can be its parent
        self.app.push_screen(
            PickerScreen(
                self.catalog,
                _("Move {name} under… (a parent is a higher level)").format(name=code.name),
                allowed=allowed,
                allow_create=False,
                none_label=_("(no parent)"),
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

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._apply(
                        lambda: self.workbench.merge_codes(
                            source.id, target.id, expected_versions=(source.version, target.version)
                        ),
                        lambda moved: _("merged {source} into {target}: {count} codings moved").format(
                            source=source.name, target=target.name, count=moved
                        ),
                        then=lambda _moved: self.code_tree.select_code(target.id),
                    )

            def counted(count: int) -> None:
                self.app.push_screen(
                    ConfirmScreen(
                        _(
                            "Merge {source} into {target}? Its {count} codings move (duplicates dropped); "
                            "memos, relations and children follow; {source} is deleted. This cannot be undone."
                        ).format(source=source.name, target=target.name, count=count)
                    ),
                    confirmed,
                )

            self.app.attempt_then(lambda: self.workbench.coding_count(source.id), counted, reload=False)

        allowed = [cid for cid in self.catalog.codes if cid != source.id]
        self.app.push_screen(
            PickerScreen(
                self.catalog, _("Merge {name} into…").format(name=source.name), allowed=allowed, allow_create=False
            ),
            picked,
        )

    def action_split(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def split(answer: tuple[str, list[int]] | None) -> None:
            if answer is None:
                return
            name, sentence_ids = answer
            self._apply(
                lambda: self.workbench.split_code(code.id, name, sentence_ids),
                _("split {code}: {name} took {count} statements").format(
                    code=code.name, name=name, count=len(sentence_ids)
                ),
            )

        self.app.attempt_then(
            lambda: self.workbench.comparison(code.id, include_children=False, all_coders=True),
            lambda rows: self.app.push_screen(SplitScreen(code.name, rows), split),
            reload=False,
        )

    def action_delete(self) -> None:
        code = self._need_code()
        if code is None:
            return

        def counted(count: int) -> None:
            self.app.push_screen(
                ConfirmScreen(
                    _(
                        "Delete {name}? This removes {count} codings (all coders); its children move up. "
                        "It cannot be undone."
                    ).format(name=code.name, count=count)
                ),
                lambda yes: confirmed(yes, count),
            )

        def confirmed(yes: bool | None, count: int) -> None:
            if yes:
                self._apply(
                    lambda: self.workbench.delete_code(code.id),
                    _("deleted {name} and its {count} codings").format(name=code.name, count=count),
                )

        self.app.attempt_then(lambda: self.workbench.coding_count(code.id), counted, reload=False)

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
                        _("relation {source} —{type}→ {target} added").format(
                            source=source.name, type=type_name(type_), target=self.catalog.name(target_id)
                        ),
                    )

                self.app.push_screen(PromptScreen(_("Note on the relation (may be empty)")), noted)

            self.app.attempt_then(
                self.workbench.relation_types,
                lambda types: self.app.push_screen(
                    ChoiceScreen(_("Type of relation"), [(type_name(t), t) for t in types or []]), typed
                ),
                reload=False,
            )

        allowed = [cid for cid in self.catalog.codes if cid != source.id]
        self.app.push_screen(
            PickerScreen(
                self.catalog,
                _("Relation from {name} to…").format(name=source.name),
                allowed=allowed,
                allow_create=False,
            ),
            targeted,
        )

    def action_edit_relation(self) -> None:
        relation = self.relation
        if relation is None:
            self.notify(_("no relation highlighted"), severity="warning")
            return

        def typed(type_: str | None) -> None:
            if not type_:
                return

            def noted(note: str | None) -> None:
                if note is not None:
                    self._apply(
                        lambda: self.workbench.update_relation(relation.id, type_=type_, note=note),
                        _("relation updated"),
                    )

            self.app.push_screen(TextEditScreen(_("Note on the relation"), relation.note), noted)

        def choose(types: list[str]) -> None:
            current = types.index(relation.type) if relation.type in types else 0
            self.app.push_screen(
                ChoiceScreen(_("Type of relation"), [(type_name(t), t) for t in types], current), typed
            )

        self.app.attempt_then(self.workbench.relation_types, choose, reload=False)

    def action_remove_relation(self) -> None:
        relation = self.relation
        if relation is None:
            self.notify(_("no relation highlighted"), severity="warning")
            return

        def remove() -> bool:
            self.workbench.remove_relation(relation.id)
            return True

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._apply(remove, _("relation removed"))

        self.app.push_screen(
            ConfirmScreen(
                _("Remove {source} —{type}→ {target}?").format(
                    source=relation.source, type=type_name(relation.type), target=relation.target
                )
            ),
            confirmed,
        )

    # ------------------------------------------------------------------ memos, comparison, storyline
    def action_memo(self, target: str) -> None:
        if target == "code":
            code = self._need_code()
            if code is None:
                return
            screen = MemoScreen(
                self.workbench, "code", code.id, _("code {name}").format(name=code.name), default_type="code"
            )
        elif target == "relation":
            relation = self.relation
            if relation is None:
                self.notify(_("no relation highlighted"), severity="warning")
                return
            screen = MemoScreen(
                self.workbench,
                "relation",
                relation.id,
                _("relation {source} —{type}→ {target}").format(
                    source=relation.source, type=type_name(relation.type), target=relation.target
                ),
            )
        else:
            screen = MemoScreen(self.workbench, "project", None, _("the project"))
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
                self._apply(lambda: self.workbench.set_storyline(text, self.core_id), _("storyline saved"))

        current = self.storyline.text if self.storyline else ""
        self.app.push_screen(TextEditScreen(_("Storyline (selective coding)"), current), written)

    def action_core(self) -> None:
        top = self.catalog.top_level

        def chosen(result: PickResult | None) -> None:
            if result is None:
                return
            text = self.storyline.text if self.storyline else ""

            def core(core_id: int) -> None:
                self._apply(
                    lambda: self.workbench.set_storyline(text, core_id),
                    _("core category: {name}").format(name=self.catalog.name(core_id)),
                )

            if result.new_name:
                self._apply(
                    lambda: self.workbench.create_code(result.new_name or "", top),
                    _("new {level} {name}").format(level=self.catalog.level_name(top), name=result.new_name),
                    then=lambda code: core(code.id),
                )
            elif result.code_id is not None:
                core(result.code_id)

        allowed = [cid for cid, code in self.catalog.codes.items() if code.level == top]
        self.app.push_screen(
            PickerScreen(
                self.catalog,
                _("Core category (a {level})").format(level=self.catalog.level_name(top)),
                allowed=allowed,
                level=top,
            ),
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
