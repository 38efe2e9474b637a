"""The code tree: codes grouped under the project's level names, with coding counts.

Parentless codes sit under their level's name (核心范畴 … 概念), each with its subtree.
Labels show this coder's codings / everyone's, updated in place after a coding so the
tree is not rebuilt on every key press.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.css.styles import RenderStyles
from textual.geometry import Region
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from qcoder.coding.records import CodeInfo
from qcoder.i18n import _, language
from qcoder.tui.catalog import CodeCatalog


def code_label(code: CodeInfo, core: bool = False) -> Text:
    label = Text("★ " if core else "", style="bold yellow", no_wrap=True, overflow="ellipsis")

    label.append(code.name, style=code.colour or "")
    label.append(f" {code.mine}/{code.codings}", style="dim")
    return label


class CodeTree(Tree[int | None]):
    """Node data is the code id; level group nodes carry ``None``."""

    DEFAULT_CSS = """
    CodeTree { background: $surface; scrollbar-size-vertical: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, catalog: CodeCatalog, *, id: str | None = None) -> None:
        super().__init__(_("codes"), id=id)

        self.catalog = catalog
        self.show_root = False
        self.guide_depth = 2
        self.nodes: dict[int, TreeNode[int | None]] = {}
        self.core_id: int | None = None  # the core category, starred
        # component styles worked out, with the style objects they were worked out from (see below)
        self._component_memo: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = {}

    # Textual forgets a widget's component styles on every refresh, and the tree works out four
    # of them for each line it draws anew: a coding, which redraws one line (its counts), spent a
    # third of its frame there. The stylesheet gives a component new style objects whenever its
    # rules apply anew (focus, hover, a theme), so while the objects are the same the styles are.
    def _remembered(self, key: tuple[Any, ...], names: tuple[str, ...], work_out: Any) -> Any:
        try:
            current = tuple(self._component_styles[name] for name in names)
        except KeyError:
            return work_out()
        known = self._component_memo.get(key)
        if known is not None and all(old is new for old, new in zip(known[0], current, strict=True)):
            return known[1]
        value = work_out()
        self._component_memo[key] = (current, value)
        return value

    def get_component_rich_style(self, *names: str, partial: bool = False, default: Style | None = None) -> Style:
        def work_out() -> Style:
            return super(CodeTree, self).get_component_rich_style(*names, partial=partial, default=default)

        style: Style = self._remembered(("rich", names, partial, default), names, work_out)
        return style

    def get_component_styles(self, *names: str) -> RenderStyles:
        def work_out() -> RenderStyles:
            return super(CodeTree, self).get_component_styles(*names)

        styles: RenderStyles = self._remembered(("styles", names), names, work_out)
        return styles

    def notify_style_update(self) -> None:
        self._component_memo.clear()
        super().notify_style_update()

    def populate(self) -> None:
        """Rebuild from the catalog, keeping the cursor on the same code where possible."""
        keep = self.selected_code_id
        self.clear()
        self.nodes = {}
        tree = self.catalog.children()
        roots = tree.get(None, [])
        for level in reversed(self.catalog.levels):
            members = [code for code in roots if code.level == level.rank]
            if not members:
                continue
            group = self.root.add(Text(level.label(language()), style="bold"), data=None, expand=True)
            for code in members:
                self._add(group, code, tree)
        if not self.nodes:
            self.root.add_leaf(Text(_("(no codes yet)"), style="dim"), data=None)
        if keep is not None and keep in self.nodes:
            self.select_code(keep)
        elif self.nodes:
            self.select_code(next(iter(self.nodes)))
            self.call_after_refresh(self._show_root)

    def _show_root(self) -> None:
        """Opened on the first code: show the tree from its top (the level above it), not scrolled into it."""
        if self.cursor_line < max(1, self.scrollable_content_region.height):
            self.scroll_home(animate=False, immediate=True)

    def _add(self, parent: TreeNode[int | None], code: CodeInfo, tree: dict[int | None, list[CodeInfo]]) -> None:
        children = tree.get(code.id, [])
        if children:
            node = parent.add(code_label(code, code.id == self.core_id), data=code.id, expand=True)
            for child in children:
                self._add(node, child, tree)
        else:
            node = parent.add_leaf(code_label(code, code.id == self.core_id), data=code.id)
        self.nodes[code.id] = node

    def render_label(self, node: TreeNode[int | None], base_style: Style, style: Style) -> Text:
        """A name too long for the tree's width ends in … (instead of being cut off mid-word unseen)."""
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - max(depth - (0 if self.show_root else 1), 0) * self.guide_depth
        if room > 2 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label

    def _refresh_line(self, line: int) -> None:
        """Repaint one line of codes, not the scrollbar beside it (Textual's own takes the whole width, and
        the bar, redrawn for nothing on every coding, cost as much as the line)."""
        width = self.scrollable_content_region.width or self.size.width
        self.refresh(Region(0, line - self.scroll_offset.y, width, 1))

    def update_code(self, code: CodeInfo) -> None:
        """New counts or name for one code, without rebuilding the tree."""
        node = self.nodes.get(code.id)
        if node is not None:
            label = code_label(code, code.id == self.core_id)
            shown = node.label
            if not (isinstance(shown, Text) and label.plain == shown.plain and label.spans == shown.spans):
                self._relabel(node, label)  # (the same label: nothing to draw again)

    def _relabel(self, node: TreeNode[int | None], label: Text) -> None:
        """``TreeNode.set_label`` that repaints the node's line now. Textual's queues the repaint as a
        callback on the tree, one more trip through the event loop before the frame (a sixth of a toggle
        on the UI thread), and repaints the lines of its children too, whose drawing a label leaves as it was."""
        node._updates += 1
        node._label = self.process_label(label)
        line = node.line
        if 0 <= line - self.scroll_offset.y < self.size.height:
            self._refresh_line(line)

    @property
    def selected_code_id(self) -> int | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def select_code(self, code_id: int) -> None:
        node = self.nodes.get(code_id)
        if node is not None:
            self._tree_lines  # noqa: B018 - lay the lines out now so the node knows its line
            self.move_cursor(node)
