"""Widgets and fillers for the reports screen: analysis tables, the code tree with counts,
and the saturation curve drawn in the terminal.

Why separate from the screen: these turn analysis results (``Table``, ``Hierarchy``,
``SaturationCurve``) into what is drawn, and are the parts a test or another screen may
reuse; the screen only decides when to compute and where things go.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable, Tree
from textual.widgets.tree import TreeNode

from qcoder.analysis.hierarchy import CodeSummary, Hierarchy
from qcoder.analysis.plots import text_plot
from qcoder.analysis.saturation import SaturationCurve
from qcoder.analysis.table import Cell, Table, label
from qcoder.analysis.writers import cell_text
from qcoder.linebreak import fill

WRAP_AT = 44  # cells: a longer column (an example statement, a meaning) wraps inside this width


def fill_table(widget: DataTable[Text], table: Table) -> None:
    """Show an analysis table: numbers right-aligned, long text columns wrapped.

    Cells are ``Text`` objects, never strings: DataTable reads strings as markup, and a
    code name like ``[揭榜挂帅]`` must show as typed.
    """
    widget.clear(columns=True)
    numeric = [
        bool(table.rows) and all(isinstance(row[i], (int, float)) or row[i] is None for row in table.rows)
        for i in range(len(table.columns))
    ]
    widths = [
        max([cell_len(name), *(cell_len(cell_text(row[i])) for row in table.rows)])
        for i, name in enumerate(table.columns)
    ]
    wrap = any(width > WRAP_AT for width in widths)
    for i, name in enumerate(table.columns):
        widget.add_column(Text(name, style="bold"), width=WRAP_AT if widths[i] > WRAP_AT else None, key=str(i))
    for row in table.rows:
        widget.add_row(
            *(_cell(value, numeric[i], WRAP_AT if widths[i] > WRAP_AT else 0) for i, value in enumerate(row)),
            height=None if wrap else 1,
        )


def _cell(value: Cell, right: bool, width: int = 0) -> Text:
    """A cell; a long text broken into lines of ``width`` by the rules of Chinese typesetting."""
    text = cell_text(value)
    return Text(fill(text, width) if width else text, justify="right" if right else "left")


def code_node_label(code: CodeSummary, language: str) -> Text:
    """``新基建  概念  语句数 3 · 文档数 2 · 编码者 小王、小李``"""
    sep = "、" if language == "zh" else ", "
    text = Text(code.name, style="bold" if code.depth == 0 else "")
    text.append(f"  {code.level_name}", style="italic dim")
    text.append(f"  {label('statement_count', language)} {code.statements}")
    text.append(f" · {label('documents', language)} {code.documents}", style="dim")
    if code.coders:
        text.append(f" · {label('coders', language)} {sep.join(code.coders)}", style="dim")
    return text


def fill_tree(tree: Tree[int], h: Hierarchy) -> None:
    """The rolled-up code tree (preorder with depths) as Tree nodes, all expanded."""
    tree.clear()
    path: list[TreeNode[int]] = []
    codes = h.codes
    for index, code in enumerate(codes):
        del path[code.depth :]
        parent = path[-1] if path else tree.root
        has_children = index + 1 < len(codes) and codes[index + 1].depth > code.depth
        node_label = code_node_label(code, h.language)
        if has_children:
            path.append(parent.add(node_label, data=code.id, expand=True))
        else:
            parent.add_leaf(node_label, data=code.id)
    if not codes:
        tree.root.add_leaf(Text("（还没有编码）" if h.language == "zh" else "(no codes yet)", style="dim"))


class SaturationPlot(Widget):
    """The new-concept curve as text, re-plotted to fit whenever the widget is resized."""

    DEFAULT_CSS = """
    SaturationPlot { height: 1fr; min-height: 6; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curve: SaturationCurve | None = None

    def show(self, curve: SaturationCurve) -> None:
        self.curve = curve
        self.refresh()

    def plot_lines(self) -> list[str]:
        """The plot at the widget's current size (axis label, axis and legend lines included)."""
        if self.curve is None:
            return []
        region = self.content_region
        label_w = len(str(max(self.curve.total, 1)))
        holdout = any(point.role == "holdout" for point in self.curve.points)
        extra = 4 if holdout else 3  # axis, (held-out marks,) document labels, legend
        width = max(region.width - label_w - 2, 4)
        height = max(region.height - extra, 2)
        return text_plot(self.curve, width=width, height=height)

    def render(self) -> Text:
        return Text("\n".join(self.plot_lines()), no_wrap=True, overflow="crop")

    def on_resize(self) -> None:
        self.refresh()
